package main

import (
	"context"
	"errors"
	"io"
)

func runSpec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("spec: not implemented yet")
}
