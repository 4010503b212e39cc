package analysis_test

import (
	"context"
	"math"

	"github.com/shipwave/shipwave/shared/analysis"
)

func mathExp(x float64) float64 { return math.Exp(x) }
func mathNaN() float64          { return math.NaN() }

// fixedSource serves fixed samples by metric name.
type fixedSource map[string]analysis.Samples

func (f fixedSource) Samples(_ context.Context, q analysis.Query) ([]float64, []float64, error) {
	s := f[q.Metric]
	return s.Canary, s.Baseline, nil
}
