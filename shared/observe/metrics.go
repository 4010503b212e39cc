package observe

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of Shipwave's metrics.
const Namespace = "Shipwave"

// Metric names, as they appear in CloudWatch.
const (
	ReleasesStarted         = "ReleasesStarted"
	ReleasesSucceeded       = "ReleasesSucceeded"
	ReleasesRolledBack      = "ReleasesRolledBack"
	LeadTimeSeconds         = "LeadTimeSeconds"
	RollbackDurationSeconds = "RollbackDurationSeconds"
	BakePassed              = "BakePassed"
	BakeFailed              = "BakeFailed"
)

// units maps each metric to its CloudWatch unit.
var units = map[string]string{
	ReleasesStarted:         "Count",
	ReleasesSucceeded:       "Count",
	ReleasesRolledBack:      "Count",
	LeadTimeSeconds:         "Seconds",
	RollbackDurationSeconds: "Seconds",
	BakePassed:              "Count",
	BakeFailed:              "Count",
}

// Metrics writes CloudWatch Embedded Metric Format lines: one JSON object
// per line, which CloudWatch Logs turns into metrics in Namespace with the
// dimension Pipeline. Release ids and the other Fields ride along as
// properties (searchable in Logs Insights, not dimensions). It is safe for
// concurrent use.
type Metrics struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewMetrics returns a Metrics writing to w (a Lambda function's stdout);
// now stamps each line (nil means time.Now).
func NewMetrics(w io.Writer, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	return &Metrics{w: w, now: now}
}

// Put writes one EMF line with metric name = value about f. An unknown name
// is an error and writes nothing.
func (m *Metrics) Put(f Fields, name string, value float64) error {
	unit, ok := units[name]
	if !ok {
		return fmt.Errorf("emf: unknown metric %q", name)
	}
	pipeline := f.Pipeline
	if pipeline == "" {
		pipeline = "unknown"
	}
	type metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": m.now().UnixMilli(),
			"CloudWatchMetrics": []directive{{
				Namespace:  Namespace,
				Dimensions: [][]string{{"Pipeline"}},
				Metrics:    []metricDef{{Name: name, Unit: unit}},
			}},
		},
		"Pipeline": pipeline,
		name:       value,
	}
	for _, kv := range f.pairs() {
		if kv[0] != "pipeline" {
			line[kv[0]] = kv[1]
		}
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("emf: write %s: %w", name, err)
	}
	return nil
}
