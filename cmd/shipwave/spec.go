package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/shipwave/shipwave/shared/spec"
)

const specUsage = "usage: shipwave spec validate FILE..."

// runSpec implements "shipwave spec validate FILE...": every file is
// checked; a valid one prints its summary, an invalid one every problem as
// FILE:LINE: field.path: message. Any invalid or unreadable file exits 2.
func runSpec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "validate" {
		return &usageError{msg: specUsage}
	}
	files := args[1:]
	if len(files) == 0 {
		return &usageError{msg: "spec validate: no files given\n" + specUsage}
	}
	failed := false
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", file, unwrapPathError(err))
			failed = true
			continue
		}
		p, err := spec.Parse(file, data)
		if err != nil {
			failed = true
			if ps := spec.AsProblems(err); ps != nil {
				fmt.Fprintln(stdout, ps.Error())
			} else {
				fmt.Fprintf(stdout, "%s: %v\n", file, err)
			}
			continue
		}
		fmt.Fprintf(stdout, "%s: OK. %s\n", file, spec.Summary(p))
	}
	if failed {
		return &exitError{code: 2}
	}
	return nil
}

// unwrapPathError drops the file name os.ReadFile puts in its error, since
// the line already starts with it.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
