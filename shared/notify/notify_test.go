package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/release"
)

var rel = release.Release{ID: "01R", Pipeline: "shop", Version: "v3", Status: release.StatusRolledBack, Reason: "WaveFailed: prod"}

func TestOf(t *testing.T) {
	alarm := release.Event{Seq: 5, Type: release.EventAlarm, Stage: "prod", Wave: "one-box", Target: "local:a", Message: "shop-5xx is ALARM"}
	tests := []struct {
		ev        release.Event
		want      notify.Kind
		wantText  string
		wantCause string
	}{
		{release.Event{Seq: 1, Type: release.EventStarted}, notify.Started, "Release started: shop v3 (release 01R)", ""},
		{release.Event{Seq: 2, Type: release.EventApprovalWaiting, Stage: "prod"}, notify.ApprovalWait, "shipwave release approve 01R", ""},
		{release.Event{Seq: 3, Type: release.EventWaveSucceeded, Stage: "prod", Wave: "w1"}, notify.WavePromoted, "Wave prod/w1 promoted", ""},
		{release.Event{Seq: 6, Type: release.EventReleaseRolledBack, Message: "rolled back after an alarm"}, notify.RolledBack, "because AlarmTriggered on prod/one-box/local:a: shop-5xx is ALARM. rolled back after an alarm", "AlarmTriggered on prod/one-box/local:a: shop-5xx is ALARM"},
		{release.Event{Seq: 7, Type: release.EventReleaseSucceeded}, notify.Succeeded, "Succeeded: shop v3", ""},
		{release.Event{Seq: 8, Type: release.EventReleaseNeedsAttention, Message: "local:a not verified"}, notify.NeedsAttention, "Needs attention: shop v3 (release 01R). local:a not verified", ""},
		{release.Event{Seq: 9, Type: release.EventBakeStarted}, "", "", ""},
	}
	for _, tt := range tests {
		m, ok := notify.Of(rel, tt.ev, []release.Event{alarm, tt.ev})
		if ok != (tt.want != "") || m.Kind != tt.want || !strings.Contains(m.Text, tt.wantText) || m.Cause != tt.wantCause {
			t.Errorf("Of(%s) = %+v, %v; want kind %q, text with %q, cause %q", tt.ev.Type, m, ok, tt.want, tt.wantText, tt.wantCause)
		}
	}
}

func TestSend(t *testing.T) {
	type got struct {
		path string
		hdr  http.Header
		body []byte
	}
	ch := make(chan got, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.URL.Path, r.Header, b}
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	now := time.Unix(1_700_000_000, 0)
	s := &notify.Sender{Secret: []byte("k"), Now: func() time.Time { return now }}
	m := notify.Message{Kind: notify.ApprovalWait, Pipeline: "shop", ReleaseID: "01R", Text: "Approval waiting"}
	ctx := context.Background()

	if err := s.Send(ctx, "webhook+"+srv.URL+"/hook", m); err != nil {
		t.Fatal(err)
	}
	g := <-ch
	if err := hooks.Verify([]byte("k"), g.hdr.Get(hooks.HeaderTimestamp), g.body, g.hdr.Get(hooks.HeaderSignature), now, time.Minute); err != nil {
		t.Errorf("webhook signature: %v", err)
	}
	var back notify.Message
	if err := json.Unmarshal(g.body, &back); err != nil || back.ReleaseID != "01R" {
		t.Errorf("webhook body %s: %v", g.body, err)
	}

	if err := s.Send(ctx, "slack+"+srv.URL+"/slack", m); err != nil {
		t.Fatal(err)
	}
	g = <-ch
	for _, want := range []string{`"text":"Approval waiting"`, `"action_id":"shipwave_approve"`, `"action_id":"shipwave_reject"`, `"value":"shop/01R"`} {
		if !strings.Contains(string(g.body), want) {
			t.Errorf("slack body %s lacks %s", g.body, want)
		}
	}

	if err := s.Send(ctx, "webhook+"+srv.URL+"/down", m); err == nil || strings.Contains(err.Error(), "/down") {
		t.Errorf("a failing webhook = %v, want an error that does not show the URL's path", err)
	}
	<-ch
	for _, bad := range []string{"mailto:ops@example.com", "http://example.com/x", "#releases"} {
		if err := s.Send(ctx, bad, m); err == nil {
			t.Errorf("Send(%q) = nil, want a destination error", bad)
		}
	}
	if err := s.Send(ctx, "arn:aws:sns:eu-west-1:1:t", m); err == nil {
		t.Error("SNS without a publisher = nil, want an error")
	}
}
