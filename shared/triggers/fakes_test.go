package triggers

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/shipwave/shipwave/shared/release"
)

// The fakes below stand in for shared/store until it is merged; at
// integration the handler tests switch to the dynalite-backed store. Each
// fake is a set of function fields, so a test can override one method (to
// inject a failure) and keep the in-memory behaviour of the others.

type specsFake struct {
	PipelinesByRepositoryFn func(ctx context.Context, repo string) ([]string, error)
	GetSpecFn               func(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
}

func (f *specsFake) PipelinesByRepository(ctx context.Context, repo string) ([]string, error) {
	return f.PipelinesByRepositoryFn(ctx, repo)
}

func (f *specsFake) GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error) {
	return f.GetSpecFn(ctx, pipeline, version)
}

type releasesFake struct {
	CreateReleaseFn func(ctx context.Context, r release.Release) (release.Release, bool, error)
	SetExecutionFn  func(ctx context.Context, id, executionARN string) error
	AppendEventFn   func(ctx context.Context, ev release.Event) (release.Event, error)
}

func (f *releasesFake) CreateRelease(ctx context.Context, r release.Release) (release.Release, bool, error) {
	return f.CreateReleaseFn(ctx, r)
}

func (f *releasesFake) SetExecution(ctx context.Context, id, executionARN string) error {
	return f.SetExecutionFn(ctx, id, executionARN)
}

func (f *releasesFake) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	return f.AppendEventFn(ctx, ev)
}

type starterFake struct {
	StartFn func(ctx context.Context, r release.Release) (string, error)
}

func (f *starterFake) Start(ctx context.Context, r release.Release) (string, error) {
	return f.StartFn(ctx, r)
}

type differFake struct {
	ChangedFilesFn func(ctx context.Context, repository, before, after string) ([]string, error)
}

func (f *differFake) ChangedFiles(ctx context.Context, repository, before, after string) ([]string, error) {
	return f.ChangedFilesFn(ctx, repository, before, after)
}

// memStore is an in-memory store with the semantics the handler relies on:
// CreateRelease is idempotent on (Pipeline, Trigger.Key) and assigns IDs,
// AppendEvent assigns gap-free sequence numbers. It counts every write.
type memStore struct {
	mu       sync.Mutex
	specs    map[string]release.SpecVersion // latest spec per pipeline
	releases map[string]release.Release     // by id
	byKey    map[string]string              // pipeline + "\x00" + trigger key → id
	events   map[string][]release.Event
	writes   int
	reads    int
}

func newMemStore(specs ...release.SpecVersion) *memStore {
	m := &memStore{
		specs:    map[string]release.SpecVersion{},
		releases: map[string]release.Release{},
		byKey:    map[string]string{},
		events:   map[string][]release.Event{},
	}
	for _, sv := range specs {
		m.specs[sv.Pipeline] = sv
	}
	return m
}

func (m *memStore) specsFake() *specsFake {
	return &specsFake{
		PipelinesByRepositoryFn: func(_ context.Context, repo string) ([]string, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.reads++
			var names []string
			for name, sv := range m.specs {
				if sv.Parsed.Source.Repository == repo {
					names = append(names, name)
				}
			}
			slices.Sort(names)
			return names, nil
		},
		GetSpecFn: func(_ context.Context, pipeline string, version int) (release.SpecVersion, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.reads++
			sv, ok := m.specs[pipeline]
			if !ok || (version != 0 && version != sv.Version) {
				return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "spec %s v%d: not found", pipeline, version)
			}
			return sv, nil
		},
	}
}

func (m *memStore) releasesFake() *releasesFake {
	return &releasesFake{
		CreateReleaseFn: func(_ context.Context, r release.Release) (release.Release, bool, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			if err := validateNew(r); err != nil {
				return release.Release{}, false, err
			}
			k := r.Pipeline + "\x00" + r.Trigger.Key
			if id, ok := m.byKey[k]; ok {
				return m.releases[id], false, nil
			}
			m.writes++
			r.ID = fmt.Sprintf("r%03d", len(m.releases)+1)
			m.releases[r.ID] = r
			m.byKey[k] = r.ID
			return r, true, nil
		},
		SetExecutionFn: func(_ context.Context, id, arn string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			r, ok := m.releases[id]
			if !ok {
				return release.Errorf(release.ErrNotFound, "release %s: not found", id)
			}
			m.writes++
			r.Execution = arn
			m.releases[id] = r
			return nil
		},
		AppendEventFn: func(_ context.Context, ev release.Event) (release.Event, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			if _, ok := m.releases[ev.ReleaseID]; !ok {
				return release.Event{}, release.Errorf(release.ErrNotFound, "release %s: not found", ev.ReleaseID)
			}
			m.writes++
			ev.Seq = int64(len(m.events[ev.ReleaseID]) + 1)
			m.events[ev.ReleaseID] = append(m.events[ev.ReleaseID], ev)
			return ev, nil
		},
	}
}

// validateNew checks what the real store checks on create, before it assigns
// the ID.
func validateNew(r release.Release) error {
	r.ID = "new"
	return r.Validate()
}

// memStarter starts one execution per release id, like Step Functions with
// the release id as the execution name.
type memStarter struct {
	mu         sync.Mutex
	executions map[string]int // release id → StartExecution calls
	started    []release.Release
}

func (s *memStarter) fake() *starterFake {
	return &starterFake{StartFn: func(_ context.Context, r release.Release) (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.executions == nil {
			s.executions = map[string]int{}
		}
		if s.executions[r.ID] == 0 {
			s.started = append(s.started, r)
		}
		s.executions[r.ID]++
		return "arn:aws:states:us-east-1:123456789012:execution:shipwave-release:" + r.ID, nil
	}}
}
