package storetest

import (
	"bytes"
	"errors"
	"github.com/shipwave/shipwave/shared/release"
	"reflect"
	"testing"
	"time"
)

// SpecFor is a one-stage spec of pipeline name on a repository or image.
func SpecFor(name, repo, image string) release.SpecVersion {
	return release.SpecVersion{
		Pipeline: name,
		Source:   []byte("pipeline: " + name + "\n"),
		Parsed: release.Pipeline{
			APIVersion: "shipwave/v1", Name: name, ExecutionMode: release.ModeQueued,
			Source: release.Source{Repository: repo, Image: image, Branch: "main"},
			Stages: []release.Stage{{Name: "beta", Waves: []release.Wave{{
				Name:       "beta",
				Targets:    []release.Target{{Type: release.TargetLocal, Name: "svc", Instances: 2}},
				Deployment: release.Deployment{Type: release.ShiftCanary, Percent: 10, Interval: 5 * time.Minute},
				Bake:       release.Bake{Duration: time.Hour},
			}}}},
		},
	}
}

func testSaveAndGetSpec(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	for want := 1; want <= 3; want++ {
		sv := SpecFor("orders-api", "orders-api", "orders-image")
		sv.Version = 42 // ignored
		got, err := e.store.SaveSpec(ctx, sv)
		if err != nil {
			t.Fatalf("SaveSpec #%d: %v", want, err)
		}
		if got.Version != want {
			t.Errorf("SaveSpec #%d: version = %d, want %d", want, got.Version, want)
		}
		e.clock.Advance(time.Minute)
	}

	tests := []struct {
		name        string
		pipeline    string
		version     int
		wantVersion int
		wantErr     error
	}{
		{name: "latest", pipeline: "orders-api", version: 0, wantVersion: 3},
		{name: "first", pipeline: "orders-api", version: 1, wantVersion: 1},
		{name: "missing version", pipeline: "orders-api", version: 4, wantErr: release.ErrNotFound},
		{name: "missing pipeline", pipeline: "nope", version: 0, wantErr: release.ErrNotFound},
		{name: "negative version", pipeline: "orders-api", version: -1, wantErr: release.ErrInvalid},
		{name: "empty pipeline", pipeline: "", version: 0, wantErr: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.store.GetSpec(ctx, tt.pipeline, tt.version)
			WantKind(t, "GetSpec", err, tt.wantErr)
			if tt.wantErr != nil {
				return
			}
			want := SpecFor("orders-api", "orders-api", "orders-image")
			if got.Version != tt.wantVersion || !bytes.Equal(got.Source, want.Source) || !reflect.DeepEqual(got.Parsed, want.Parsed) {
				t.Errorf("GetSpec = %+v, want version %d of %+v", got, tt.wantVersion, want)
			}
			wantAt := NewClock().Now().Add(time.Duration(tt.wantVersion-1) * time.Minute)
			if !got.CreatedAt.Equal(wantAt) {
				t.Errorf("CreatedAt = %s, want %s", got.CreatedAt, wantAt)
			}
		})
	}
}

func testSaveSpecRejectsBadInput(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	mismatch := SpecFor("a", "r", "")
	mismatch.Pipeline = "b"
	tests := []struct {
		name string
		sv   release.SpecVersion
	}{
		{name: "no name", sv: release.SpecVersion{}},
		{name: "names differ", sv: mismatch},
		{name: "name too long", sv: SpecFor(string(bytes.Repeat([]byte("x"), 600)), "r", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.store.SaveSpec(ctx, tt.sv)
			WantKind(t, "SaveSpec", err, release.ErrInvalid)
		})
	}
	if got, err := e.store.ListPipelines(ctx); err != nil || len(got) != 0 {
		t.Errorf("ListPipelines after rejected saves = %v, %v; want none", got, err)
	}
}

func testPipelineIndexes(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	save := func(sv release.SpecVersion) {
		t.Helper()
		if _, err := e.store.SaveSpec(ctx, sv); err != nil {
			t.Fatalf("SaveSpec %s: %v", sv.Pipeline, err)
		}
	}
	// Pipeline name from Parsed when Pipeline is empty.
	fromParsed := SpecFor("billing", "shared-repo", "")
	fromParsed.Pipeline = ""
	save(fromParsed)
	save(SpecFor("orders", "shared-repo", "orders-ecr"))
	save(SpecFor("search", "search-repo", ""))

	lookups := func() map[string][]string {
		out := map[string][]string{}
		for _, repo := range []string{"shared-repo", "orders-ecr", "search-repo", "new-repo"} {
			got, err := e.store.PipelinesByRepository(ctx, repo)
			if err != nil {
				t.Fatalf("PipelinesByRepository(%s): %v", repo, err)
			}
			if len(got) > 0 {
				out[repo] = got
			}
		}
		return out
	}
	want := map[string][]string{
		"shared-repo": {"billing", "orders"},
		"orders-ecr":  {"orders"},
		"search-repo": {"search"},
	}
	if got := lookups(); !reflect.DeepEqual(got, want) {
		t.Errorf("repository index = %v, want %v", got, want)
	}

	// A new version moving orders to another repository drops the old entries.
	save(SpecFor("orders", "new-repo", ""))
	want = map[string][]string{
		"shared-repo": {"billing"},
		"search-repo": {"search"},
		"new-repo":    {"orders"},
	}
	if got := lookups(); !reflect.DeepEqual(got, want) {
		t.Errorf("repository index after orders moved = %v, want %v", got, want)
	}

	got, err := e.store.ListPipelines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"billing", "orders", "search"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListPipelines = %v, want %v", got, want)
	}
}

func testSaveSpecConcurrentVersions(t *testing.T, newEnv func(testing.TB) *env) {
	e := newEnv(t)
	ctx := Ctx(t)
	const n = 10
	versions := make(chan int, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			sv, err := e.store.SaveSpec(ctx, SpecFor("p", "r", ""))
			errs <- err
			versions <- sv.Version
		}()
	}
	seen := map[int]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("SaveSpec: %v", err)
		}
		seen[<-versions] = true
	}
	for v := 1; v <= n; v++ {
		if !seen[v] {
			t.Errorf("versions = %v, want each of 1..%d once", seen, n)
			break
		}
	}
	if _, err := e.store.GetSpec(ctx, "p", n+1); !errors.Is(err, release.ErrNotFound) {
		t.Errorf("GetSpec(p, %d) error = %v, want ErrNotFound", n+1, err)
	}
}
