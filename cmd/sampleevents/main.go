// Command sampleevents re-signs the Slack samples in events/ for now, so
// `sam local invoke SlackFunction -e` accepts them: Slack requests are
// signed over their timestamp, and a function refuses one more than five
// minutes old, so the checked-in samples (signed at a fixed time for the
// tests) are stale. `make events` runs it:
//
//	sampleevents -secret shipwave-sample-secret -out .build/events events/http-slack-*.json
//
// Each sample is an API Gateway HTTP API (payload 2.0) event; its
// x-slack-request-timestamp becomes the current time and
// x-slack-signature the signature of the body with -secret (the test secret
// the samples were made with; store the same value in the Slack signing
// secret the function reads). The re-signed copies are written under -out
// with the same file names; the originals are left alone.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/auth"
)

func main() {
	if err := run(os.Args[1:], time.Now, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sampleevents:", err)
		os.Exit(2)
	}
}

func run(args []string, now func() time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("sampleevents", flag.ContinueOnError)
	secret := fs.String("secret", "", "Slack signing secret to sign with (required)")
	out := fs.String("out", "", "directory to write the re-signed samples to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" || *out == "" || fs.NArg() == 0 {
		return errors.New("usage: sampleevents -secret SECRET -out DIR SAMPLE.json…")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, file := range fs.Args() {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		b, err := resign(raw, []byte(*secret), now())
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		dst := filepath.Join(*out, filepath.Base(file))
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, dst)
	}
	return nil
}

// resign returns the API Gateway event raw with its Slack timestamp set to
// at and its signature made with secret.
func resign(raw, secret []byte, at time.Time) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not an API Gateway HTTP API event: %w", err)
	}
	if _, ok := ev.Headers["x-slack-signature"]; !ok {
		return nil, errors.New("not a Slack request: no x-slack-signature header")
	}
	if ev.IsBase64Encoded {
		return nil, errors.New("base64-encoded bodies are not supported")
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	ev.Headers["x-slack-request-timestamp"] = ts
	ev.Headers["x-slack-signature"] = auth.SignSlack(secret, ts, []byte(ev.Body))
	ev.RequestContext.TimeEpoch = at.UnixMilli()
	b, err := json.MarshalIndent(ev, "", "  ")
	return append(b, '\n'), err
}
