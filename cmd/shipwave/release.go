package main

import (
	"context"
	"errors"
	"io"
)

func runRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("release: not implemented yet")
}
