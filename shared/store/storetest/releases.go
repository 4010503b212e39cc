package storetest

import (
	"errors"
	"fmt"
	"github.com/shipwave/shipwave/shared/release"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func testCreateRelease(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	r := NewRelease("orders", "push-1")
	r.Trigger.Time = e.clock.Now().Add(-time.Second)
	got := mustCreate(t, e, r)
	if got.ID == "" || got.Status != release.StatusPending || !got.CreatedAt.Equal(e.clock.Now()) || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("created release = %+v, want an id, PENDING and both times %s", got, e.clock.Now())
	}
	read, err := e.store.GetRelease(ctx, got.ID)
	if err != nil {
		t.Fatalf("GetRelease: %v", err)
	}
	if !reflect.DeepEqual(read, got) {
		t.Errorf("GetRelease = %+v\nwant %+v", read, got)
	}

	e.clock.Advance(time.Minute)
	again, created, err := e.store.CreateRelease(ctx, NewRelease("orders", "push-1"))
	if err != nil || created || again.ID != got.ID || !again.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("CreateRelease with the same trigger = %+v, created %v, %v; want release %s, created false", again, created, err, got.ID)
	}
	other := mustCreate(t, e, NewRelease("orders", "push-2"))
	if other.ID == got.ID || other.ID <= got.ID {
		t.Errorf("second release id %q, want a new id sorting after %q", other.ID, got.ID)
	}
	// The same trigger key on another pipeline is another release.
	if third := mustCreate(t, e, NewRelease("billing", "push-1")); third.ID == got.ID {
		t.Errorf("release of another pipeline reused id %s", got.ID)
	}

	custom := NewRelease("orders", "push-3")
	custom.ID, custom.Status = "custom-id", release.StatusQueued
	if got := mustCreate(t, e, custom); got.ID != "custom-id" || got.Status != release.StatusQueued {
		t.Errorf("release with id and status = %+v, want custom-id QUEUED", got)
	}
	clash := NewRelease("orders", "push-4")
	clash.ID = "custom-id"
	_, _, err = e.store.CreateRelease(ctx, clash)
	WantKind(t, "CreateRelease with a used id", err, release.ErrConflict)

	_, err = e.store.GetRelease(ctx, "missing")
	WantKind(t, "GetRelease(missing)", err, release.ErrNotFound)
}

func testCreateReleaseRejectsBadInput(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	tests := []struct {
		name string
		edit func(*release.Release)
	}{
		{name: "no pipeline", edit: func(r *release.Release) { r.Pipeline = "" }},
		{name: "no trigger key", edit: func(r *release.Release) { r.Trigger.Key = "" }},
		{name: "trigger key too long", edit: func(r *release.Release) { r.Trigger.Key = strings.Repeat("k", 513) }},
		{name: "unknown status", edit: func(r *release.Release) { r.Status = "DONE" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRelease("orders", "push-1")
			tt.edit(&r)
			_, _, err := e.store.CreateRelease(ctx, r)
			WantKind(t, "CreateRelease", err, release.ErrInvalid)
		})
	}
	got, _, err := e.store.ListReleases(ctx, "orders", 0, "")
	if err != nil || len(got) != 0 {
		t.Errorf("ListReleases after rejected creates = %v, %v; want none", got, err)
	}
}

// testCreateReleaseConcurrent is invariant 2: the same trigger delivered many
// times at once creates one release.
func testCreateReleaseConcurrent(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const callers = 200
	type result struct {
		id      string
		created bool
		err     error
	}
	results := make(chan result, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			r, created, err := e.store.CreateRelease(ctx, NewRelease("orders", "evt-123"))
			results <- result{r.ID, created, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	created := 0
	ids := map[string]int{}
	for res := range results {
		if res.err != nil {
			t.Fatalf("CreateRelease: %v", res.err)
		}
		if res.created {
			created++
		}
		ids[res.id]++
	}
	if created != 1 {
		t.Errorf("%d callers got created = true, want exactly 1", created)
	}
	if len(ids) != 1 {
		t.Errorf("callers got ids %v, want one id for all %d", ids, callers)
	}
	list, _, err := e.store.ListReleases(ctx, "orders", 0, "")
	if err != nil || len(list) != 1 {
		t.Errorf("ListReleases = %d releases, %v; want 1", len(list), err)
	}
}

func testTransitionRelease(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	r := mustCreate(t, e, NewRelease("orders", "push-1"))
	steps := []struct {
		name       string
		id         string
		to         release.Status
		reason     string
		wantErr    error
		wantReason string
	}{
		{name: "start", id: r.ID, to: release.StatusInProgress},
		{name: "not allowed", id: r.ID, to: release.StatusQueued, wantErr: release.ErrConflict},
		{name: "unknown status", id: r.ID, to: "DONE", wantErr: release.ErrInvalid},
		{name: "missing release", id: "nope", to: release.StatusInProgress, wantErr: release.ErrNotFound},
		{name: "finish", id: r.ID, to: release.StatusRolledBack, reason: "alarm orders-5xx", wantReason: "alarm orders-5xx"},
		{name: "terminal", id: r.ID, to: release.StatusFailed, wantErr: release.ErrConflict, wantReason: "alarm orders-5xx"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(time.Second)
			before, _ := e.store.GetRelease(ctx, r.ID)
			got, err := e.store.TransitionRelease(ctx, st.id, st.to, st.reason)
			WantKind(t, "TransitionRelease", err, st.wantErr)
			after, _ := e.store.GetRelease(ctx, r.ID)
			if st.wantErr != nil {
				if !reflect.DeepEqual(after, before) {
					t.Errorf("failed transition changed the release: %+v -> %+v", before, after)
				}
				return
			}
			if got.Status != st.to || got.Reason != st.wantReason || !got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(r.CreatedAt) {
				t.Errorf("TransitionRelease = %+v, want status %s reason %q updated %s", got, st.to, st.wantReason, e.clock.Now())
			}
			if !reflect.DeepEqual(after, got) {
				t.Errorf("stored %+v, returned %+v", after, got)
			}
		})
	}
}

func testSetExecution(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	r := mustCreate(t, e, NewRelease("orders", "push-1"))
	const arn = "arn:aws:states:us-east-1:123456789012:execution:release:" + "x"
	steps := []struct {
		name    string
		id, arn string
		wantErr error
	}{
		{name: "set", id: r.ID, arn: arn},
		{name: "same again", id: r.ID, arn: arn},
		{name: "another", id: r.ID, arn: arn + "2", wantErr: release.ErrConflict},
		{name: "missing release", id: "nope", arn: arn, wantErr: release.ErrNotFound},
		{name: "empty arn", id: r.ID, arn: "", wantErr: release.ErrInvalid},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			WantKind(t, "SetExecution", e.store.SetExecution(ctx, st.id, st.arn), st.wantErr)
		})
	}
	got, _ := e.store.GetRelease(ctx, r.ID)
	if got.Execution != arn {
		t.Errorf("Execution = %q, want %q", got.Execution, arn)
	}
	if _, err := e.store.GetRelease(ctx, "nope"); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("SetExecution created release nope: GetRelease error = %v", err)
	}
}

func testListReleasesPagination(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	var want []string // newest first
	for i := range 7 {
		r := mustCreate(t, e, NewRelease("orders", fmt.Sprintf("push-%d", i)))
		want = append([]string{r.ID}, want...)
		mustCreate(t, e, NewRelease("billing", fmt.Sprintf("push-%d", i)))
		e.clock.Advance(time.Second)
	}
	tests := []struct {
		name      string
		limit     int
		wantPages []int
	}{
		{name: "pages of 3", limit: 3, wantPages: []int{3, 3, 1}},
		{name: "exact pages", limit: 7, wantPages: []int{7}},
		{name: "pages of 1", limit: 1, wantPages: []int{1, 1, 1, 1, 1, 1, 1}},
		{name: "default limit", limit: 0, wantPages: []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			var pages []int
			cursor := ""
			for {
				page, next, err := e.store.ListReleases(ctx, "orders", tt.limit, cursor)
				if err != nil {
					t.Fatalf("ListReleases(cursor %q): %v", cursor, err)
				}
				pages = append(pages, len(page))
				for _, r := range page {
					if r.Pipeline != "orders" {
						t.Errorf("listed release %s of pipeline %s", r.ID, r.Pipeline)
					}
					ids = append(ids, r.ID)
				}
				if next == "" {
					break
				}
				if len(pages) > 10 {
					t.Fatal("more than 10 pages")
				}
				cursor = next
			}
			if !reflect.DeepEqual(pages, tt.wantPages) {
				t.Errorf("page sizes = %v, want %v", pages, tt.wantPages)
			}
			if !reflect.DeepEqual(ids, want) {
				t.Errorf("ids = %v\nwant newest first %v", ids, want)
			}
		})
	}

	_, billingCursor, err := e.store.ListReleases(ctx, "billing", 2, "")
	if err != nil || billingCursor == "" {
		t.Fatalf("ListReleases(billing) cursor %q, %v", billingCursor, err)
	}
	for _, cursor := range []string{"%%%", "bm90IGpzb24", "e30", billingCursor} {
		_, _, err := e.store.ListReleases(ctx, "orders", 2, cursor)
		WantKind(t, "ListReleases with cursor "+cursor, err, release.ErrInvalid)
	}
	if got, next, err := e.store.ListReleases(ctx, "nobody", 5, ""); err != nil || len(got) != 0 || next != "" {
		t.Errorf("ListReleases of an unknown pipeline = %v, %q, %v; want nothing", got, next, err)
	}
}

func testActiveReleases(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	var ids []string
	for i := range 4 {
		ids = append(ids, mustCreate(t, e, NewRelease("orders", fmt.Sprintf("push-%d", i))).ID)
		e.clock.Advance(time.Second)
	}
	done := NewRelease("orders", "already-done")
	done.Status = release.StatusCancelled
	mustCreate(t, e, done)
	mustCreate(t, e, NewRelease("billing", "push-0"))

	if _, err := e.store.TransitionRelease(ctx, ids[1], release.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.TransitionRelease(ctx, ids[2], release.StatusSuperseded, "newer release"); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.ActiveReleases(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, r := range got {
		gotIDs = append(gotIDs, r.ID)
	}
	if want := []string{ids[0], ids[1], ids[3]}; !reflect.DeepEqual(gotIDs, want) {
		t.Errorf("ActiveReleases = %v, want oldest first %v", gotIDs, want)
	}
}

// testTargetState: a target's state is written before traffic moves, and
// read back as written.
func testTargetState(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	_, err := e.store.GetTargetState(ctx, "orders-live")
	WantKind(t, "GetTargetState of a target never deployed", err, release.ErrNotFound)
	none := release.TargetState{}
	WantKind(t, "SwapTargetState without a phase", e.store.SwapTargetState(ctx, none, release.TargetState{Target: "orders-live"}), release.ErrInvalid)
	WantKind(t, "SwapTargetState without a target", e.store.SwapTargetState(ctx, none, release.TargetState{Phase: release.PhaseStable}), release.ErrInvalid)
	first := release.TargetState{Target: "orders-live", KnownGood: "v1", Good: []string{"v1", "v0"}, Stable: "v1", Candidate: "v2", Weight: 10,
		ReleaseID: "r1", Previous: "v1", Phase: release.PhaseShifting, Stage: "prod", Wave: "w1"}
	WantKind(t, "SwapTargetState", e.store.SwapTargetState(ctx, none, first), nil)
	got, err := e.store.GetTargetState(ctx, "orders-live")
	WantKind(t, "GetTargetState", err, nil)
	first.UpdatedAt = e.clock.Now()
	if !reflect.DeepEqual(got, first) {
		t.Errorf("GetTargetState = %+v, want %+v", got, first)
	}
}
