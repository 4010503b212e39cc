package main

import (
	"context"
	"errors"
	"io"
)

func runDemoService(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("demoservice: not implemented yet")
}
