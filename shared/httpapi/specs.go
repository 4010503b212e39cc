package httpapi

import (
	"context"
	"fmt"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/scheduler"
	"github.com/shipwave/shipwave/shared/spec"
)

// SpecSaver stores pipeline specs (PUT /v1/pipelines/{p}/spec): it
// validates one and stores it as the pipeline's next version; a spec with
// problems is refused with every problem, file:line first, and nothing is
// stored. Its schedule triggers then become Scheduler schedules.
type SpecSaver struct {
	Specs interface {
		// SaveSpec returns ErrInvalid for a missing or mismatched name.
		SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error)
	}
	// Schedules, when set, is synced after a spec is saved
	// (*scheduler.Syncer is one).
	Schedules interface {
		Sync(ctx context.Context, pipeline string, defs []scheduler.Definition) (scheduler.SyncResult, error)
	}
	// RefuseLoadTests, when not empty, is why this stack cannot run load
	// tests: a spec with a loadTest is refused with it, naming each
	// loadTest's line, and nothing is stored.
	RefuseLoadTests string
}

// maxSpec bounds a spec's body.
const maxSpec = 256 << 10

// PutSpec validates and stores a spec.
func (s *SpecSaver) PutSpec(ctx context.Context, name string, body []byte) (any, error) {
	if len(body) == 0 || len(body) > maxSpec {
		return nil, release.Errorf(release.ErrInvalid, "body: want a pipeline spec of 1 to %d bytes, got %d", maxSpec, len(body))
	}
	p, err := spec.Parse(name+".yaml", body)
	if err != nil {
		return nil, release.Errorf(release.ErrInvalid, "%v", err)
	}
	if p.Name != name {
		return nil, release.Errorf(release.ErrInvalid, "%s.yaml: pipeline is %q, want %q (the name in the path)", name, p.Name, name)
	}
	if s.RefuseLoadTests != "" {
		if err := spec.RefuseLoadTests(name+".yaml", body, p, s.RefuseLoadTests); err != nil {
			return nil, release.Errorf(release.ErrInvalid, "%v", err)
		}
	}
	defs, err := scheduler.Definitions(p)
	if err != nil {
		return nil, release.Errorf(release.ErrInvalid, "%s.yaml: schedules: %v", name, err)
	}
	sv, err := s.Specs.SaveSpec(ctx, release.SpecVersion{Pipeline: name, Source: body, Parsed: p})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"pipeline": sv.Pipeline, "version": sv.Version}
	if s.Schedules != nil {
		res, err := s.Schedules.Sync(ctx, name, defs)
		if err != nil {
			return nil, &PartialError{fmt.Errorf("spec %s saved as version %d, but syncing its schedules failed (PUT it again): %w", name, sv.Version, err)}
		}
		out["schedules"] = map[string][]string{"created": nonNil(res.Created), "updated": nonNil(res.Updated), "deleted": nonNil(res.Deleted)}
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
