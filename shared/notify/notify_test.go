package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/memstore"
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
	if err := s.Send(ctx, "arn:aws:sns:eu-west-1:123456789012:t", m); err == nil {
		t.Error("SNS without a publisher = nil, want an error")
	}
}

func TestEventTypesAreWhatOfAnnounces(t *testing.T) {
	announced := map[release.EventType]bool{}
	for _, typ := range notify.EventTypes() {
		announced[typ] = true
		if _, ok := notify.Of(rel, release.Event{Seq: 1, Type: typ}, nil); !ok {
			t.Errorf("Of(%s) announces nothing, but EventTypes lists it", typ)
		}
	}
	for _, typ := range []release.EventType{release.EventCreated, release.EventBakeStarted, release.EventTrafficShifted, release.EventAlarm,
		release.EventRolledBack, release.EventReleaseCancelled, release.EventNote, release.EventApproved, release.EventStageSucceeded} {
		if _, ok := notify.Of(rel, release.Event{Seq: 1, Type: typ}, nil); ok != announced[typ] {
			t.Errorf("Of(%s) announces = %v, EventTypes lists it = %v", typ, ok, announced[typ])
		}
	}
}

// listener records what each path of a test server receives; /down
// answers 502.
type listener struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string][]notify.Message
}

func newListener(t *testing.T) *listener {
	l := &listener{got: map[string][]notify.Message{}}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		_ = json.NewDecoder(r.Body).Decode(&m)
		l.mu.Lock()
		l.got[r.URL.Path] = append(l.got[r.URL.Path], m)
		l.mu.Unlock()
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *listener) received(path string) []notify.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got[path]
}

func TestAnnounce(t *testing.T) {
	ctx := context.Background()
	l := newListener(t)
	st := memstore.New()
	p := release.Pipeline{Name: "shop", Notify: []string{"webhook+" + l.srv.URL + "/ok", "webhook+" + l.srv.URL + "/down"}}
	if _, err := st.SaveSpec(ctx, release.SpecVersion{Pipeline: "shop", Source: []byte("pipeline: shop"), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	r, _, err := st.CreateRelease(ctx, release.Release{Pipeline: "shop", Version: "v3", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, ev := range []release.Event{
		{Type: release.EventStarted},
		{Type: release.EventAlarm, Stage: "prod", Wave: "one-box", Target: "a", Message: "shop-5xx is ALARM"},
		{Type: release.EventReleaseRolledBack, Message: "rolled back"},
	} {
		ev.ReleaseID = r.ID
		out, err := st.AppendEvent(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, out.Seq)
	}
	n := &notify.Notifier{Store: st, Sender: &notify.Sender{Secret: []byte("k")}, Attempts: 3, Backoff: time.Millisecond}
	for _, seq := range []int64{seqs[0], seqs[1], seqs[2], seqs[2], seqs[0]} { // redelivered: sent once
		if err := n.Announce(ctx, r.ID, seq); err != nil {
			t.Fatalf("Announce(%d): %v", seq, err)
		}
	}
	got := l.received("/ok")
	if len(got) != 2 || got[0].Kind != notify.Started || got[1].Kind != notify.RolledBack || !strings.Contains(got[1].Cause, "shop-5xx is ALARM") {
		t.Errorf("/ok received %+v, want started, then rolled back because of the alarm, once each", got)
	}
	if down := l.received("/down"); len(down) != 6 {
		t.Errorf("/down received %d requests, want 3 attempts for each of 2 messages", len(down))
	}
	for _, tc := range []struct {
		id  string
		seq int64
	}{{"nope", 1}, {r.ID, 99}} {
		if err := n.Announce(ctx, tc.id, tc.seq); err != nil {
			t.Errorf("Announce(%s, %d) = %v, want nil: nothing to announce", tc.id, tc.seq, err)
		}
	}
	if len(l.received("/ok")) != 2 {
		t.Errorf("announcing what is not there sent something: %+v", l.received("/ok"))
	}
}

// flakyClaims fails the first claim, as a throttled table would.
type flakyClaims struct {
	*memstore.Store
	failed bool
}

func (f *flakyClaims) ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (string, bool, error) {
	if !f.failed {
		f.failed = true
		return "", false, errors.New("ProvisionedThroughputExceededException")
	}
	return f.Store.ClaimIdempotencyKey(ctx, key, value, ttl)
}

// TestAnnounceClaimFailureIsRetried: a claim that fails sends nothing and
// is an error (the stream retries the record); the retry sends it once.
func TestAnnounceClaimFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	l := newListener(t)
	st := &flakyClaims{Store: memstore.New()}
	p := release.Pipeline{Name: "shop", Notify: []string{"webhook+" + l.srv.URL + "/ok"}}
	if _, err := st.SaveSpec(ctx, release.SpecVersion{Pipeline: "shop", Source: []byte("pipeline: shop"), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	r, _, err := st.CreateRelease(ctx, release.Release{Pipeline: "shop", Version: "v3", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.AppendEvent(ctx, release.Event{ReleaseID: r.ID, Type: release.EventStarted})
	if err != nil {
		t.Fatal(err)
	}
	n := &notify.Notifier{Store: st, Sender: &notify.Sender{}}
	if err := n.Announce(ctx, r.ID, ev.Seq); err == nil || len(l.received("/ok")) != 0 {
		t.Fatalf("Announce with a failing claim = %v, sent %d; want an error and nothing sent", err, len(l.received("/ok")))
	}
	for range 2 {
		if err := n.Announce(ctx, r.ID, ev.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.received("/ok"); len(got) != 1 || got[0].Kind != notify.Started {
		t.Errorf("received %+v, want the started message once", got)
	}
}
