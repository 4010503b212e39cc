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
	for _, name := range []string{"TABLE_NAME", "HOOK_SECRET_ARN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
