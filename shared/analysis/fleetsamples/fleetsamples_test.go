package fleetsamples_test

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis/analysistest"
	"github.com/shipwave/shipwave/shared/analysis/fleetsamples"
	"github.com/shipwave/shipwave/shared/fleet"
)

// recorded keeps requests per version and answers as the fleet does,
// through fleet.NewDatapoint, at the fleet's Resolution.
type recorded map[string][]analysistest.Request

func (r recorded) Metrics(_, version string, from, to time.Time) (fleet.Datapoint, error) {
	from, to = from.Truncate(fleet.Resolution), to.Truncate(fleet.Resolution)
	var n, e int64
	var lat []time.Duration
	for _, q := range r[version] {
		if q.At.Before(from) || !q.At.Before(to) {
			continue
		}
		n++
		if q.Failed {
			e++
		}
		lat = append(lat, q.Latency)
	}
	return fleet.NewDatapoint(from, to, n, e, lat...), nil
}

func TestContract(t *testing.T) {
	analysistest.Run(t, func(t *testing.T) analysistest.Harness {
		rec := recorded{}
		return analysistest.Harness{
			Source:   fleetsamples.New(rec, "svc"),
			Record:   func(v string, reqs []analysistest.Request) { rec[v] = append(rec[v], reqs...) },
			Canary:   "v2",
			Baseline: "v1",
			Period:   time.Second,
			Start:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}
	})
}
