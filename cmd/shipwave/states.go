package main

import (
	"context"
	"errors"
	"io"
)

func runStates(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("states: not implemented yet")
}
