package sfncallbacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/chatops/sfncallbacks"
	"github.com/shipwave/shipwave/shared/release"
)

// stepFunctions answers the callback API (AWS JSON 1.0) for tokens it
// knows, once each, and TaskTimedOut for others.
type stepFunctions struct {
	live  map[string]bool
	calls []map[string]string
}

func (s *stepFunctions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var in map[string]string
	json.Unmarshal(raw, &in)
	in["op"] = r.Header.Get("X-Amz-Target")
	s.calls = append(s.calls, in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if !s.live[in["taskToken"]] {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazonaws.swf.base.model#TaskTimedOut","message":"Task Timed Out"}`)
		return
	}
	delete(s.live, in["taskToken"])
	io.WriteString(w, `{}`)
}

func TestCallbacks(t *testing.T) {
	fake := &stepFunctions{live: map[string]bool{"a": true, "b": true}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := sfncallbacks.New(sfn.NewFromConfig(awsfake.Config(srv.URL)))
	ctx := context.Background()
	if err := c.SendTaskSuccess(ctx, "a", []byte(`{"approvedBy":"bob"}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendTaskFailure(ctx, "b", "ManualRollback", "asked by alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.SendTaskSuccess(ctx, "a", nil); !errors.Is(err, release.ErrExpired) {
		t.Fatalf("ended task: got %v, want ErrExpired", err)
	}
	want := []map[string]string{
		{"op": "AWSStepFunctions.SendTaskSuccess", "taskToken": "a", "output": `{"approvedBy":"bob"}`},
		{"op": "AWSStepFunctions.SendTaskFailure", "taskToken": "b", "error": "ManualRollback", "cause": "asked by alice"},
		{"op": "AWSStepFunctions.SendTaskSuccess", "taskToken": "a", "output": `{}`},
	}
	if len(fake.calls) != len(want) {
		t.Fatalf("got %d calls, want %d", len(fake.calls), len(want))
	}
	for i, w := range want {
		for k, v := range w {
			if fake.calls[i][k] != v {
				t.Errorf("call %d: %s = %q, want %q", i, k, fake.calls[i][k], v)
			}
		}
	}
}
