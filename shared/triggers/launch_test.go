package triggers_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

// TestLauncherStartOnce is invariant 2 ("the same trigger N times creates
// one release") in the one function every trigger goes through: the table
// walks the states an earlier delivery can leave behind, and each row
// checks the outcome, how many executions were asked for and what the
// release log holds, on the real store and the real Step Functions client.
func TestLauncherStartOnce(t *testing.T) {
	ctx := context.Background()
	req := triggers.Request{
		Pipeline: "orders", SpecVersion: 1, Version: "v2", Message: "manual release of v2",
		Trigger: release.Trigger{Kind: release.TriggerManual, Key: "manual:orders:v2:1", Actor: "ana"},
	}
	tests := []struct {
		name string
		// before leaves what an earlier delivery left behind.
		before      func(t *testing.T, s *stack, l *triggers.Launcher)
		failStarts  int // Step Functions answers this many starts with a 500
		wantOutcome triggers.Outcome
		wantErr     bool
		wantStarts  int                 // StartExecution calls made by the row's Start
		wantEvents  []release.EventType // the release log afterwards
	}{
		{name: "new trigger", wantOutcome: triggers.OutcomeReleased, wantStarts: 1,
			wantEvents: []release.EventType{release.EventCreated}},
		{name: "started by an earlier delivery",
			before: func(t *testing.T, s *stack, l *triggers.Launcher) {
				if _, err := l.Start(ctx, req); err != nil {
					t.Fatal(err)
				}
			},
			wantOutcome: triggers.OutcomeDuplicate, wantStarts: 0,
			wantEvents: []release.EventType{release.EventCreated}},
		{name: "created but not started",
			before: func(t *testing.T, s *stack, _ *triggers.Launcher) {
				if _, _, err := s.store.CreateRelease(ctx, release.Release{Pipeline: "orders", SpecVersion: 1, Version: "v2", Trigger: req.Trigger, Status: release.StatusPending}); err != nil {
					t.Fatal(err)
				}
			},
			wantOutcome: triggers.OutcomeResumed, wantStarts: 1,
			wantEvents: []release.EventType{release.EventNote}},
		{name: "past pending without an execution",
			before: func(t *testing.T, s *stack, _ *triggers.Launcher) {
				rel, _, err := s.store.CreateRelease(ctx, release.Release{Pipeline: "orders", SpecVersion: 1, Version: "v2", Trigger: req.Trigger, Status: release.StatusPending})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.store.TransitionRelease(ctx, rel.ID, release.StatusCancelled, "cancelled before it started"); err != nil {
					t.Fatal(err)
				}
			},
			wantOutcome: triggers.OutcomeDuplicate, wantStarts: 0},
		{name: "start failed on the first delivery",
			before: func(t *testing.T, s *stack, l *triggers.Launcher) {
				s.sfn.mu.Lock()
				s.sfn.failNext = 1
				s.sfn.mu.Unlock()
				if _, err := l.Start(ctx, req); err == nil {
					t.Fatal("first Start succeeded, want the injected failure")
				}
			},
			wantOutcome: triggers.OutcomeResumed, wantStarts: 1,
			wantEvents: []release.EventType{release.EventCreated, release.EventNote}},
		{name: "start fails", failStarts: 1, wantErr: true, wantStarts: 1,
			wantEvents: []release.EventType{release.EventCreated}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t)
			l := &triggers.Launcher{Releases: s.store, Starter: s.handler.Starter, Now: s.handler.Now}
			if tc.before != nil {
				tc.before(t, s, l)
			}
			s.sfn.mu.Lock()
			s.sfn.failNext += tc.failStarts
			before := s.sfn.calls
			s.sfn.mu.Unlock()

			out, err := l.Start(ctx, req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Start = %+v, %v; want error %v", out, err, tc.wantErr)
			}
			s.sfn.mu.Lock()
			starts := s.sfn.calls - before
			s.sfn.mu.Unlock()
			if starts != tc.wantStarts {
				t.Errorf("StartExecution calls = %d, want %d", starts, tc.wantStarts)
			}
			if !tc.wantErr && out.Outcome != tc.wantOutcome {
				t.Errorf("outcome = %s (%s), want %s", out.Outcome, out.Reason, tc.wantOutcome)
			}
			if out.Release.ID == "" {
				t.Fatal("Start returned no release")
			}
			rel, err := s.store.GetRelease(ctx, out.Release.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantStarts > 0 && !tc.wantErr && (rel.Execution == "" || rel.Execution != out.Release.Execution) {
				t.Errorf("stored execution = %q, returned %q; want the started one in both", rel.Execution, out.Release.Execution)
			}
			evs, err := s.store.Events(ctx, rel.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []release.EventType
			for _, ev := range evs {
				if ev.Type == release.EventCreated || ev.Type == release.EventNote {
					got = append(got, ev.Type)
				}
			}
			if len(got) != len(tc.wantEvents) {
				t.Fatalf("release log = %v, want %v", got, tc.wantEvents)
			}
			for i := range got {
				if got[i] != tc.wantEvents[i] {
					t.Errorf("release log = %v, want %v", got, tc.wantEvents)
				}
			}
		})
	}
}

// TestLauncherConcurrentStarts: the same trigger delivered eight times at
// once makes one release and one execution.
func TestLauncherConcurrentStarts(t *testing.T) {
	s := newStack(t)
	l := &triggers.Launcher{Releases: s.store, Starter: s.handler.Starter, Now: s.handler.Now}
	req := triggers.Request{Pipeline: "orders", SpecVersion: 1, Version: "v2",
		Trigger: release.Trigger{Kind: release.TriggerChat, Key: "slack:T1:42", Actor: "ana"}}
	var wg sync.WaitGroup
	ids := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := l.Start(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- out.Release.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	s.sfn.mu.Lock()
	defer s.sfn.mu.Unlock()
	if len(seen) != 1 || len(s.sfn.byName) != 1 {
		t.Errorf("releases %v, executions %d; want one of each", seen, len(s.sfn.byName))
	}
}

// TestLauncherRefusesBadRequests: a request without pipeline, version or
// key is release.ErrInvalid and writes nothing.
func TestLauncherRefusesBadRequests(t *testing.T) {
	s := newStack(t)
	l := &triggers.Launcher{Releases: s.store, Starter: s.handler.Starter}
	good := triggers.Request{Pipeline: "orders", Version: "v2", Trigger: release.Trigger{Kind: release.TriggerManual, Key: "k"}}
	for name, mutate := range map[string]func(*triggers.Request){
		"no pipeline": func(r *triggers.Request) { r.Pipeline = "" },
		"no version":  func(r *triggers.Request) { r.Version = "" },
		"no key":      func(r *triggers.Request) { r.Trigger.Key = "" },
	} {
		t.Run(name, func(t *testing.T) {
			req := good
			mutate(&req)
			if _, err := l.Start(context.Background(), req); !errors.Is(err, release.ErrInvalid) {
				t.Errorf("Start = %v, want ErrInvalid", err)
			}
			if n := s.itemCount(t); n != 0 {
				t.Errorf("%d items stored, want none", n)
			}
		})
	}
}
