package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/release"
)

// TestRollbackIsNotified: a listener named in the spec's notify receives,
// signed, the release's start and its rollback with the hook that caused
// it and the reason, once each, during a real rollback on the local stack.
func TestRollbackIsNotified(t *testing.T) {
	var mu sync.Mutex
	var got []notify.Message
	var bad []string
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if first { // the first delivery fails: it must be retried
			first = false
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := hooks.Verify([]byte("s3cret"), r.Header.Get(hooks.HeaderTimestamp), body, r.Header.Get(hooks.HeaderSignature), time.Now(), time.Minute); err != nil {
			bad = append(bad, err.Error())
		}
		var m notify.Message
		if err := json.Unmarshal(body, &m); err != nil {
			bad = append(bad, err.Error())
		}
		got = append(got, m)
	}))
	defer srv.Close()
	spec := strings.Replace(strings.Replace(oneStage, "%s", "fail", 1), "stages:", "notify: [\"webhook+"+srv.URL+"/shipwave\"]\nstages:", 1)
	h := startStackWith(t, spec, local.Config{NotifySecret: "s3cret"})
	res, err := h.stack.Push(context.Background(), "shop", local.PushRequest{Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	v := waitRelease(t, h.stack, res.ReleaseID)
	if v.Release.Status != release.StatusRolledBack {
		t.Fatalf("release is %s, want ROLLED_BACK", v.Release.Status)
	}
	kinds := func() map[notify.Kind][]notify.Message {
		mu.Lock()
		defer mu.Unlock()
		out := map[notify.Kind][]notify.Message{}
		for _, m := range got {
			out[m.Kind] = append(out[m.Kind], m)
		}
		return out
	}
	eventually.NoError(t, 20*time.Second, "the listener to get started and rolled_back", func() error {
		if k := kinds(); len(k[notify.RolledBack]) == 0 || len(k[notify.Started]) == 0 {
			return fmt.Errorf("it got %+v", k)
		}
		return nil
	})
	k := kinds()
	rb := k[notify.RolledBack][0]
	if len(k[notify.RolledBack]) != 1 || len(k[notify.Started]) != 1 {
		t.Errorf("the listener got %d rolled_back and %d started, want one each", len(k[notify.RolledBack]), len(k[notify.Started]))
	}
	if rb.ReleaseID != res.ReleaseID || !strings.Contains(rb.Cause, "HookFailed") || rb.Reason == "" || !strings.Contains(rb.Text, "because HookFailed") {
		t.Errorf("rolled_back = %+v, want the release, its hook failure as the cause and a reason", rb)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("bad deliveries: %v", bad)
	}
}
