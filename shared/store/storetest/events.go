package storetest

import (
	"encoding/json"
	"github.com/shipwave/shipwave/shared/release"
	"sort"
	"sync"
	"testing"
	"time"
)

func testAppendEventAndEvents(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	explicit := e.clock.Now().Add(-time.Hour)
	inputs := []release.Event{
		{ReleaseID: "r1", Type: release.EventCreated, Seq: 99},
		{ReleaseID: "r1", Type: release.EventTrafficShifted, Stage: "prod", Wave: "one-box", Target: "orders-live", Message: "10%", Data: json.RawMessage(`{"weight":10}`)},
		{ReleaseID: "r1", Type: release.EventBakeStarted, Time: explicit},
		{ReleaseID: "r2", Type: release.EventCreated},
	}
	for i, in := range inputs {
		e.clock.Advance(time.Second)
		got, err := e.store.AppendEvent(ctx, in)
		if err != nil {
			t.Fatalf("AppendEvent #%d: %v", i, err)
		}
		wantSeq := int64(i + 1)
		if in.ReleaseID == "r2" {
			wantSeq = 1
		}
		wantTime := e.clock.Now()
		if !in.Time.IsZero() {
			// An explicit time earlier than the log's last entry is raised
			// to it: time never goes backwards against seq.
			wantTime = e.clock.Now().Add(-time.Second)
		}
		if got.Seq != wantSeq || !got.Time.Equal(wantTime) {
			t.Errorf("AppendEvent #%d: seq %d time %s, want seq %d time %s", i, got.Seq, got.Time, wantSeq, wantTime)
		}
	}

	all, err := e.store.Events(ctx, "r1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || string(all[1].Data) != `{"weight":10}` || all[1].Target != "orders-live" || all[1].Message != "10%" || !all[2].Time.Equal(all[1].Time) {
		t.Errorf("Events(r1) = %+v, want the three appended entries intact", all)
	}
	tests := []struct {
		name     string
		after    int64
		limit    int
		wantSeqs []int64
	}{
		{name: "all", after: 0, limit: 0, wantSeqs: []int64{1, 2, 3}},
		{name: "after 1", after: 1, limit: 0, wantSeqs: []int64{2, 3}},
		{name: "limit 2", after: 0, limit: 2, wantSeqs: []int64{1, 2}},
		{name: "after 1 limit 1", after: 1, limit: 1, wantSeqs: []int64{2}},
		{name: "after the end", after: 3, limit: 0, wantSeqs: nil},
		{name: "negative after", after: -5, limit: 0, wantSeqs: []int64{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.store.Events(ctx, "r1", tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, ev := range got {
				seqs = append(seqs, ev.Seq)
			}
			if len(seqs) != len(tt.wantSeqs) {
				t.Fatalf("Events(after %d, limit %d) seqs = %v, want %v", tt.after, tt.limit, seqs, tt.wantSeqs)
			}
			for i := range seqs {
				if seqs[i] != tt.wantSeqs[i] {
					t.Fatalf("Events(after %d, limit %d) seqs = %v, want %v", tt.after, tt.limit, seqs, tt.wantSeqs)
				}
			}
		})
	}
}

func testAppendEventRejectsBadInput(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	tests := []struct {
		name string
		ev   release.Event
	}{
		{name: "no release", ev: release.Event{Type: release.EventNote}},
		{name: "no type", ev: release.Event{ReleaseID: "r1"}},
		{name: "bad data", ev: release.Event{ReleaseID: "r1", Type: release.EventNote, Data: json.RawMessage(`{`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.AppendEvent(ctx, tt.ev)
			WantKind(t, "AppendEvent", err, release.ErrInvalid)
		})
	}
	if got, err := e.store.Events(ctx, "r1", 0, 0); err != nil || len(got) != 0 {
		t.Errorf("Events after rejected appends = %v, %v; want none", got, err)
	}
}

// testAppendEventConcurrent: many writers on one log get sequence numbers
// 1..N with no gaps and no duplicates, and every entry is stored.
func testAppendEventConcurrent(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const writers = 50
	seqs := make([]int64, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			ev, err := e.store.AppendEvent(ctx, release.Event{ReleaseID: "r1", Type: release.EventNote, Message: string(rune('A' + i))})
			if err != nil {
				t.Errorf("writer %d: AppendEvent: %v", i, err)
				return
			}
			seqs[i] = ev.Seq
		})
	}
	close(start)
	wg.Wait()
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("returned seqs (sorted) = %v, want 1..%d exactly", seqs, writers)
		}
	}
	stored, err := e.store.Events(ctx, "r1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	messages := map[string]bool{}
	for i, ev := range stored {
		if ev.Seq != int64(i+1) {
			t.Fatalf("stored event %d has seq %d, want %d", i, ev.Seq, i+1)
		}
		messages[ev.Message] = true
	}
	if len(stored) != writers || len(messages) != writers {
		t.Errorf("stored %d events with %d distinct messages, want %d of each", len(stored), len(messages), writers)
	}
}
