package httpapi

import (
	"net/http"
	"time"

	"github.com/shipwave/shipwave/shared/dora"
)

// metrics is GET /v1/pipelines/{p}/metrics?window=7d: the pipeline's DORA
// metrics over the window ending now.
func (s *Server) metrics(_ http.ResponseWriter, r *http.Request) (any, error) {
	ctx := r.Context()
	name := r.PathValue("pipeline")
	w := r.URL.Query().Get("window")
	if w == "" {
		w = "7d"
	}
	window, err := dora.ParseWindow(w)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.GetSpec(ctx, name, 0); err != nil {
		return nil, err
	}
	to := s.now()
	from := to.Add(-window)
	rs, err := All(ctx, s.Store, name)
	if err != nil {
		return nil, err
	}
	var ins []dora.Input
	for _, rel := range rs {
		// A release ends no later than its last update.
		if !rel.Status.Terminal() || rel.UpdatedAt.Before(from) {
			continue
		}
		v, err := View(ctx, s.Store, rel.ID)
		if err != nil {
			return nil, err
		}
		ins = append(ins, dora.Input{Release: v.Release, Events: v.Events})
	}
	return dora.Compute(name, ins, from, to), nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
