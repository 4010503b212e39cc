package analysis_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
)

// lognormal returns n latencies (ms) with the given median and log-sd.
func lognormal(rng *rand.Rand, n int, median, sigma float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = median * mathExp(sigma*rng.NormFloat64())
	}
	return out
}

func indicators(n, ones int) []float64 {
	out := make([]float64, n)
	for i := range ones {
		out[i] = 1
	}
	return out
}

func TestJudge(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	base := lognormal(rng, 2700, 50, 0.5)
	same := lognormal(rng, 300, 50, 0.5)
	slower := lognormal(rng, 300, 75, 0.5)
	faster := lognormal(rng, 300, 30, 0.5)
	slightly := lognormal(rng, 3000, 51.5, 0.5) // +3%: significant, tiny
	bigBase := lognormal(rng, 27000, 50, 0.5)
	lat := analysis.Metric{Name: "latency", Direction: analysis.Increase, Effect: 0.1}
	errs := analysis.Metric{Name: "errors", Direction: analysis.Increase, Effect: 0.5}
	tests := []struct {
		name      string
		cfg       analysis.Config
		data      map[string]analysis.Samples
		want      analysis.Verdict
		wantClass []analysis.Classification
		wantScore float64
	}{
		{name: "same distribution passes", cfg: analysis.Config{Metrics: []analysis.Metric{lat}},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}}, want: analysis.Pass, wantClass: []analysis.Classification{analysis.ClassPass}, wantScore: 100},
		{name: "50% slower fails", cfg: analysis.Config{Metrics: []analysis.Metric{lat}},
			data: map[string]analysis.Samples{"latency": {Canary: slower, Baseline: base}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassHigh}, wantScore: 0},
		{name: "faster passes an increase metric", cfg: analysis.Config{Metrics: []analysis.Metric{lat}},
			data: map[string]analysis.Samples{"latency": {Canary: faster, Baseline: base}}, want: analysis.Pass, wantClass: []analysis.Classification{analysis.ClassPass}, wantScore: 100},
		{name: "faster fails an either metric", cfg: analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Direction: analysis.Either, Effect: 0.1}}},
			data: map[string]analysis.Samples{"latency": {Canary: faster, Baseline: base}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassLow}, wantScore: 0},
		{name: "faster fails a decrease metric", cfg: analysis.Config{Metrics: []analysis.Metric{{Name: "throughput", Direction: analysis.Decrease}}},
			data: map[string]analysis.Samples{"throughput": {Canary: faster, Baseline: base}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassLow}, wantScore: 0},
		{name: "significant but tiny passes", cfg: analysis.Config{Metrics: []analysis.Metric{lat}},
			data: map[string]analysis.Samples{"latency": {Canary: slightly, Baseline: bigBase}}, want: analysis.Pass, wantClass: []analysis.Classification{analysis.ClassPass}, wantScore: 100},
		{name: "too few canary values is inconclusive", cfg: analysis.Config{Metrics: []analysis.Metric{lat}, MinSamples: 400},
			data: map[string]analysis.Samples{"latency": {Canary: slower, Baseline: base}}, want: analysis.Inconclusive, wantClass: []analysis.Classification{analysis.ClassNoData}, wantScore: 0},
		{name: "a failure that missing data cannot rescue fails", cfg: analysis.Config{Metrics: []analysis.Metric{lat, {Name: "rare", Effect: 0.5}}},
			data: map[string]analysis.Samples{"latency": {Canary: slower, Baseline: base}, "rare": {Canary: indicators(3, 0), Baseline: indicators(3, 0)}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassHigh, analysis.ClassNoData}, wantScore: 0},
		{name: "a pass with missing data is inconclusive", cfg: analysis.Config{Metrics: []analysis.Metric{lat, {Name: "rare", Effect: 0.5}}},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}, "rare": {Canary: indicators(3, 0), Baseline: indicators(3, 0)}}, want: analysis.Inconclusive, wantClass: []analysis.Classification{analysis.ClassPass, analysis.ClassNoData}, wantScore: 100},
		{name: "errors from zero fail", cfg: analysis.Config{Metrics: []analysis.Metric{lat, errs}},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}, "errors": {Canary: indicators(300, 8), Baseline: indicators(2700, 0)}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassPass, analysis.ClassHigh}, wantScore: 50},
		{name: "two errors on a canary are not significant", cfg: analysis.Config{Metrics: []analysis.Metric{lat, errs}},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}, "errors": {Canary: indicators(300, 2), Baseline: indicators(2700, 2)}}, want: analysis.Pass, wantClass: []analysis.Classification{analysis.ClassPass, analysis.ClassPass}, wantScore: 100},
		{name: "a light failing metric is marginal", cfg: analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Effect: 0.1, Weight: 9}, {Name: "errors", Weight: 1, Effect: 0.5}}, MarginalScore: 80},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}, "errors": {Canary: indicators(300, 8), Baseline: indicators(2700, 0)}}, want: analysis.Marginal, wantClass: []analysis.Classification{analysis.ClassPass, analysis.ClassHigh}, wantScore: 90},
		{name: "a critical failing metric fails outright", cfg: analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Effect: 0.1, Weight: 9}, {Name: "errors", Weight: 1, Effect: 0.5, Critical: true}}, MarginalScore: 80},
			data: map[string]analysis.Samples{"latency": {Canary: same, Baseline: base}, "errors": {Canary: indicators(300, 8), Baseline: indicators(2700, 0)}}, want: analysis.Fail, wantClass: []analysis.Classification{analysis.ClassPass, analysis.ClassHigh}, wantScore: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := analysis.Judge(tt.cfg, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if j.Verdict != tt.want || j.Score != tt.wantScore {
				t.Errorf("verdict %s score %v (%s), want %s %v", j.Verdict, j.Score, j.Reason, tt.want, tt.wantScore)
			}
			for i, m := range j.Metrics {
				if m.Class != tt.wantClass[i] {
					t.Errorf("metric %s: %s (%s), want %s", m.Name, m.Class, m.Reason, tt.wantClass[i])
				}
			}
			if _, err := json.Marshal(j); err != nil {
				t.Errorf("record does not encode: %v", err)
			}
		})
	}
}

func TestJudgeRejects(t *testing.T) {
	ok := map[string]analysis.Samples{"latency": {Canary: []float64{1}, Baseline: []float64{2}}}
	tests := []struct {
		name string
		cfg  analysis.Config
		data map[string]analysis.Samples
		want string
	}{
		{"no metrics", analysis.Config{}, ok, "at least one metric"},
		{"bad direction", analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Direction: "up"}}}, ok, `direction "up"`},
		{"negative weight", analysis.Config{Metrics: []analysis.Metric{{Name: "latency", Weight: -1}}}, ok, "weight -1"},
		{"twice", analysis.Config{Metrics: []analysis.Metric{{Name: "latency"}, {Name: "latency"}}}, ok, "listed twice"},
		{"marginal above pass", analysis.Config{Metrics: []analysis.Metric{{Name: "latency"}}, PassScore: 80, MarginalScore: 90}, ok, "marginalScore 90"},
		{"confidence 1", analysis.Config{Metrics: []analysis.Metric{{Name: "latency"}}, Confidence: 1}, ok, "confidence 1"},
		{"slow without threshold", analysis.Config{Metrics: []analysis.Metric{{Name: analysis.MetricSlowRequests}}}, ok, "slowerThan is required"},
		{"missing data", analysis.Config{Metrics: []analysis.Metric{{Name: "errors"}}}, ok, `no samples for metric "errors"`},
		{"NaN", analysis.Config{Metrics: []analysis.Metric{{Name: "latency"}}}, map[string]analysis.Samples{"latency": {Canary: []float64{mathNaN()}, Baseline: []float64{1}}}, "not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := analysis.Judge(tt.cfg, tt.data)
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

// TestJudgmentRecordGolden pins the event-log record's shape.
func TestJudgmentRecordGolden(t *testing.T) {
	cfg := analysis.Config{Metrics: []analysis.Metric{
		{Name: "latency", Direction: analysis.Increase, Effect: 0.1},
		{Name: "errors", Direction: analysis.Increase, Effect: 0.5, Weight: 2},
	}, MinSamples: 5}
	src := fixedSource{
		"latency": {Canary: []float64{12, 15, 11, 19, 14, 16, 13, 18}, Baseline: []float64{10, 11, 9, 12, 10, 13, 11, 10, 12, 9}},
		"errors":  {Canary: indicators(8, 1), Baseline: indicators(10, 0)},
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	j, err := analysis.Analyze(t.Context(), src, analysis.Request{Config: cfg, Canary: "v2", Baseline: "v1", From: at, To: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "judgment.golden"), append(got, '\n'))
}

func TestFromRelease(t *testing.T) {
	c := analysis.FromRelease(release.Analysis{
		Metrics:   []release.AnalysisMetric{{Name: "latency", Effect: 0.1}, {Name: "slowRequests", Direction: "either", Weight: 2, Critical: true, SlowerThan: time.Second}},
		PassScore: 90, MarginalScore: 60, MinSamples: 10, Confidence: 0.95,
	})
	want := analysis.Config{
		Metrics:   []analysis.Metric{{Name: "latency", Effect: 0.1}, {Name: "slowRequests", Direction: analysis.Either, Weight: 2, Critical: true, SlowerThan: time.Second}},
		PassScore: 90, MarginalScore: 60, MinSamples: 10, Confidence: 0.95,
	}
	if got, _ := json.Marshal(c); string(got) != string(mustJSON(t, want)) {
		t.Errorf("FromRelease = %s, want %s", got, mustJSON(t, want))
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
