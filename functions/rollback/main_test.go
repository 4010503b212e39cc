package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/observe"
)

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	var logs bytes.Buffer
	_, err := newHandler(context.Background(), func(string) string { return "" }, observe.NewLogger(&logs))
	if err == nil {
		t.Fatal("newHandler with an empty environment succeeded, want an error")
	}
	for _, name := range []string{"TABLE_NAME"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestNewHandlerBuilds(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env := map[string]string{"TABLE_NAME": "shipwave"}
	h, err := newHandler(context.Background(), func(k string) string { return env[k] }, observe.NewLogger(&bytes.Buffer{}))
	if err != nil || h == nil {
		t.Fatalf("newHandler = %v, %v; want a handler", h, err)
	}
}
