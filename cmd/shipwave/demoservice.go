package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/shipwave/shipwave/shared/fleet/demo"
)

// runDemoService runs the demo service the local fleet launches:
//
//	shipwave demo-service --version V [--port P] [--instance ID]
//	    [--error-rate F] [--latency D] [--crash-after D | --crash-on-start]
//
// It serves until SIGTERM or SIGINT (ctx), then drains and exits 0; a
// configured crash exits 1 (on start) or 2 (after a delay).
func runDemoService(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := demo.ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return &usageError{msg: "demo-service: " + err.Error()}
	}
	err = demo.Run(ctx, cfg, stdout, stderr)
	var crash *demo.CrashError
	if errors.As(err, &crash) {
		return &exitError{code: crash.Code}
	}
	return err
}
