package storetest

import (
	"errors"
	"github.com/shipwave/shipwave/shared/release"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func bakeToken(token, releaseID string, created time.Time, bake time.Duration, alarms ...string) release.TaskToken {
	return release.TaskToken{
		Token: token, Kind: release.TokenBake, ReleaseID: releaseID, Pipeline: "orders",
		Stage: "prod", Wave: "one-box", Target: "orders-live", Alarms: alarms,
		CreatedAt: created, ExpiresAt: created.Add(bake),
	}
}

func tokenNames(toks []release.TaskToken) []string {
	var out []string
	for _, tok := range toks {
		out = append(out, tok.Token)
	}
	return out
}

func testTaskTokens(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	now := e.clock.Now()
	long := strings.Repeat("T", 3000) // task tokens can be longer than a key
	toks := []release.TaskToken{
		bakeToken("tok-a", "r1", now, time.Hour, "orders-5xx", "orders-p99"),
		bakeToken(long, "r1", now.Add(time.Second), 10*time.Minute, "orders-5xx"),
		bakeToken("tok-c", "r2", now.Add(2*time.Second), 30*time.Minute, "orders-p99"),
	}
	for _, tok := range toks {
		if err := e.store.PutTaskToken(ctx, tok); err != nil {
			t.Fatalf("PutTaskToken(%.10s): %v", tok.Token, err)
		}
	}
	e.clock.Advance(3 * time.Second)
	err := e.store.PutTaskToken(ctx, release.TaskToken{Token: "tok-approval", Kind: release.TokenApproval, ReleaseID: "r1", Approvers: []string{"release-managers"}})
	if err != nil {
		t.Fatalf("PutTaskToken(tok-approval): %v", err)
	}
	dup := toks[0]
	dup.ReleaseID, dup.Alarms = "r9", []string{"other"}
	WantKind(t, "PutTaskToken again", e.store.PutTaskToken(ctx, dup), release.ErrConflict)

	got, err := e.store.GetTaskToken(ctx, long)
	if err != nil {
		t.Fatalf("GetTaskToken(long): %v", err)
	}
	if !reflect.DeepEqual(got, toks[1]) {
		t.Errorf("GetTaskToken = %+v\nwant %+v", got, toks[1])
	}
	approval, err := e.store.GetTaskToken(ctx, "tok-approval")
	if err != nil || !approval.CreatedAt.Equal(e.clock.Now()) || !approval.ExpiresAt.IsZero() {
		t.Errorf("approval token = %+v, %v; want CreatedAt from the clock and no expiry", approval, err)
	}
	_, err = e.store.GetTaskToken(ctx, "nope")
	WantKind(t, "GetTaskToken(nope)", err, release.ErrNotFound)

	byRelease, err := e.store.TokensByRelease(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tokenNames(byRelease), []string{"tok-a", long, "tok-approval"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TokensByRelease(r1) = %.40v, want %.40v oldest first", got, want)
	}

	tests := []struct {
		name    string
		advance time.Duration
		alarm   string
		want    []string
	}{
		{name: "5xx", alarm: "orders-5xx", want: []string{"tok-a", long}},
		{name: "p99", alarm: "orders-p99", want: []string{"tok-a", "tok-c"}},
		{name: "unknown alarm", alarm: "other", want: nil},
		{name: "after the short bake expired", advance: 15 * time.Minute, alarm: "orders-5xx", want: []string{"tok-a"}},
		{name: "after every bake expired", advance: time.Hour, alarm: "orders-p99", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.advance)
			got, err := e.store.TokensByAlarm(ctx, tt.alarm)
			if err != nil {
				t.Fatal(err)
			}
			if names := tokenNames(got); !reflect.DeepEqual(names, tt.want) {
				t.Errorf("TokensByAlarm(%s) = %.40v, want %.40v", tt.alarm, names, tt.want)
			}
		})
	}

	expired, err := e.store.GetTaskToken(ctx, "tok-a")
	WantKind(t, "GetTaskToken of an expired token", err, release.ErrExpired)
	if expired.Token != "tok-a" {
		t.Errorf("GetTaskToken of an expired token returned %+v, want the token", expired)
	}
	if byRelease, _ := e.store.TokensByRelease(ctx, "r1"); len(byRelease) != 3 {
		t.Errorf("TokensByRelease after expiry = %d tokens, want all 3", len(byRelease))
	}
}

func testPutTaskTokenRejectsBadInput(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	now := e.clock.Now()
	tests := []struct {
		name string
		edit func(*release.TaskToken)
	}{
		{name: "no token", edit: func(tok *release.TaskToken) { tok.Token = "" }},
		{name: "no release", edit: func(tok *release.TaskToken) { tok.ReleaseID = "" }},
		{name: "no kind", edit: func(tok *release.TaskToken) { tok.Kind = "" }},
		{name: "empty alarm", edit: func(tok *release.TaskToken) { tok.Alarms = []string{"ok", ""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := bakeToken("tok", "r1", now, time.Hour, "ok")
			tt.edit(&tok)
			WantKind(t, "PutTaskToken", e.store.PutTaskToken(ctx, tok), release.ErrInvalid)
		})
	}
	if got, err := e.store.TokensByAlarm(ctx, "ok"); err != nil || len(got) != 0 {
		t.Errorf("TokensByAlarm after rejected puts = %v, %v; want none", got, err)
	}
}

// testDeleteTaskTokenOneWinner: alarmwatch and a timeout racing for the same
// bake token — exactly one may act on it.
func testDeleteTaskTokenOneWinner(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	tok := bakeToken("tok-a", "r1", e.clock.Now(), time.Minute, "orders-5xx", "orders-p99")
	if err := e.store.PutTaskToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute) // expired tokens can still be claimed
	const callers = 20
	var wins, notFound atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			err := e.store.DeleteTaskToken(ctx, "tok-a")
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, release.ErrNotFound):
				notFound.Add(1)
			default:
				t.Errorf("DeleteTaskToken: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || notFound.Load() != callers-1 {
		t.Errorf("DeleteTaskToken: %d winners and %d ErrNotFound, want 1 and %d", wins.Load(), notFound.Load(), callers-1)
	}
	_, err := e.store.GetTaskToken(ctx, "tok-a")
	WantKind(t, "GetTaskToken after delete", err, release.ErrNotFound)
	e.clock.Advance(-2 * time.Minute)
	for _, alarm := range tok.Alarms {
		if got, err := e.store.TokensByAlarm(ctx, alarm); err != nil || len(got) != 0 {
			t.Errorf("TokensByAlarm(%s) after delete = %v, %v; want none", alarm, tokenNames(got), err)
		}
	}
	if got, err := e.store.TokensByRelease(ctx, "r1"); err != nil || len(got) != 0 {
		t.Errorf("TokensByRelease after delete = %v, %v; want none", tokenNames(got), err)
	}
}
