package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/shipwave/shipwave/shared/release"
)

// pageCursor is where the next page of a listing starts: a pipeline and
// the store's cursor within it.
type pageCursor struct {
	Pipeline string `json:"p"`
	Store    string `json:"c,omitempty"`
}

// Page lists up to limit releases of pipeline (of every pipeline, one
// after the other in name order, when empty), each pipeline's newest
// first, starting at cursor; the answer's NextCursor continues it.
func Page(ctx context.Context, st Store, pipeline string, limit int, cursor string) (ReleasePage, error) {
	names := []string{pipeline}
	if pipeline == "" {
		var err error
		if names, err = st.ListPipelines(ctx); err != nil {
			return ReleasePage{}, err
		}
		sort.Strings(names)
	}
	var at pageCursor
	start := 0
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			err = json.Unmarshal(raw, &at)
		}
		if err != nil || at.Pipeline == "" {
			return ReleasePage{}, release.Errorf(release.ErrInvalid, "cursor %q was not issued by this API", clip(cursor))
		}
		start = sort.SearchStrings(names, at.Pipeline)
		if pipeline != "" {
			start = 0
			if at.Pipeline != pipeline {
				return ReleasePage{}, release.Errorf(release.ErrInvalid, "cursor belongs to pipeline %s, not %s", at.Pipeline, pipeline)
			}
		}
	}
	page := ReleasePage{Releases: []release.Release{}}
	for i := start; i < len(names); i++ {
		storeCursor := ""
		if i == start && at.Pipeline == names[i] {
			storeCursor = at.Store
		}
		for {
			rs, next, err := st.ListReleases(ctx, names[i], limit-len(page.Releases), storeCursor)
			if err != nil {
				return ReleasePage{}, fmt.Errorf("list releases of %s: %w", names[i], err)
			}
			page.Releases = append(page.Releases, rs...)
			if len(page.Releases) >= limit {
				switch {
				case next != "":
					page.NextCursor = encodeCursor(pageCursor{Pipeline: names[i], Store: next})
				case i+1 < len(names):
					page.NextCursor = encodeCursor(pageCursor{Pipeline: names[i+1]})
				}
				return page, nil
			}
			if next == "" {
				break
			}
			storeCursor = next
		}
	}
	return page, nil
}

func encodeCursor(c pageCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// All lists every release of a pipeline (every pipeline's when empty),
// newest first, following the pages to the end.
func All(ctx context.Context, st Store, pipeline string) ([]release.Release, error) {
	return Collect(func(cursor string) (ReleasePage, error) { return Page(ctx, st, pipeline, MaxPageSize, cursor) })
}

// Collect reads the pages page returns, from the first (cursor "") until
// one has no NextCursor, and returns their releases newest first. It
// serves the API's own reads and its clients.
func Collect(page func(cursor string) (ReleasePage, error)) ([]release.Release, error) {
	out := []release.Release{}
	cursor := ""
	for {
		p, err := page(cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Releases...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// View returns a release with its whole event log.
func View(ctx context.Context, st Store, id string) (ReleaseView, error) {
	rel, err := st.GetRelease(ctx, id)
	if err != nil {
		return ReleaseView{}, err
	}
	v := ReleaseView{Release: rel, Events: []release.Event{}}
	var after int64
	for {
		evs, err := st.Events(ctx, id, after, MaxPageSize)
		if err != nil {
			return ReleaseView{}, err
		}
		v.Events = append(v.Events, evs...)
		if len(evs) < MaxPageSize {
			return v, nil
		}
		after = evs[len(evs)-1].Seq
	}
}

// recentReleases is how many of a pipeline's latest releases its view lists.
const recentReleases = 20

// PipelineOf builds a pipeline's view from its latest spec, its targets'
// states, the states of their alarms (when alarms is not nil) and its
// latest releases.
func PipelineOf(ctx context.Context, st Store, as AlarmStates, name string) (PipelineView, error) {
	sv, err := st.GetSpec(ctx, name, 0)
	if err != nil {
		return PipelineView{}, fmt.Errorf("pipeline %s: %w", name, err)
	}
	p := sv.Parsed
	v := PipelineView{Name: name, SpecVersion: sv.Version, Stages: []StageView{}, Active: []release.Release{}, Recent: []release.Release{}}
	var names []string
	for _, stg := range p.Stages {
		sw := StageView{Name: stg.Name, Waves: []WaveView{}}
		if stg.Approval != nil {
			sw.Approvers = stg.Approval.Approvers
			if len(sw.Approvers) == 0 {
				sw.Approvers = []string{"(any approver of the pipeline)"}
			}
		}
		for _, w := range stg.Waves {
			wv := WaveView{Name: w.Name, Deployment: string(w.Deployment.Type), Targets: []TargetView{}}
			for _, t := range w.Targets {
				tv := TargetView{Name: t.Name, Type: t.Type}
				ts, err := st.GetTargetState(ctx, t.Name)
				switch {
				case err == nil:
					tv.State = &ts
				case !errors.Is(err, release.ErrNotFound):
					return PipelineView{}, fmt.Errorf("pipeline %s: target %s: %w", name, t.Name, err)
				}
				guard := append(append(append([]string{}, p.Alarms...), w.Alarms...), t.Alarms...)
				if len(guard) > 0 {
					tv.Alarms = map[string]string{}
					for _, a := range guard {
						tv.Alarms[a] = "UNKNOWN"
						names = append(names, a)
					}
				}
				wv.Targets = append(wv.Targets, tv)
			}
			sw.Waves = append(sw.Waves, wv)
		}
		v.Stages = append(v.Stages, sw)
	}
	if as != nil && len(names) > 0 {
		states, err := as.States(ctx, dedupe(names))
		if err == nil {
			for si := range v.Stages {
				for wi := range v.Stages[si].Waves {
					for ti := range v.Stages[si].Waves[wi].Targets {
						for a := range v.Stages[si].Waves[wi].Targets[ti].Alarms {
							if s, ok := states[a]; ok {
								v.Stages[si].Waves[wi].Targets[ti].Alarms[a] = string(s)
							}
						}
					}
				}
			}
		}
	}
	rs, _, err := st.ListReleases(ctx, name, recentReleases, "")
	if err != nil {
		return PipelineView{}, fmt.Errorf("pipeline %s: %w", name, err)
	}
	for _, r := range rs {
		if !r.Status.Terminal() {
			v.Active = append(v.Active, r)
		}
	}
	v.Recent = append(v.Recent, rs...)
	return v, nil
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) pipelines(_ http.ResponseWriter, r *http.Request) (any, error) {
	names, err := s.Store.ListPipelines(r.Context())
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := []PipelineView{}
	for _, n := range names {
		v, err := PipelineOf(r.Context(), s.Store, s.Alarms, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return map[string]any{"pipelines": out}, nil
}

func (s *Server) pipeline(_ http.ResponseWriter, r *http.Request) (any, error) {
	return PipelineOf(r.Context(), s.Store, s.Alarms, r.PathValue("pipeline"))
}
