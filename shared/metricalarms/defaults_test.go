package metricalarms_test

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/metricalarms"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
)

func TestDefaultAlarmsForLocalDemo(t *testing.T) {
	const file = "../spec/testdata/valid-local.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Parse(file, data)
	if err != nil {
		t.Fatalf("spec.Parse: %v", err)
	}
	got, err := metricalarms.DefaultAlarms(p)
	if err != nil {
		t.Fatalf("DefaultAlarms: %v", err)
	}
	services := []string{"demo-beta", "demo-onebox", "demo-wave1", "demo-wave2a", "demo-wave2b"}
	want := []struct {
		name   string
		metric metricalarms.Metric
		thresh float64
	}{
		{"demo-5xx", metricalarms.ErrorRate, 5},
		{"demo-p99", metricalarms.P99Latency, 400},
	}
	if len(got) != len(want) {
		t.Fatalf("DefaultAlarms = %+v, want %d alarms", got, len(want))
	}
	for i, w := range want {
		a := got[i]
		if a.Name != w.name || a.Metric != w.metric || a.Threshold != w.thresh || a.Period != time.Second ||
			a.EvaluationPeriods != 3 || a.DatapointsToAlarm != 2 || a.ComparisonOperator != metricalarms.GreaterThanThreshold ||
			a.TreatMissingData != metricalarms.Missing || !slices.Equal(a.Services, services) {
			t.Errorf("alarm %d = %+v, want %s on %s > %v over %v, 2 of 3 1s periods", i, a, w.name, w.metric, w.thresh, services)
		}
	}
	if _, err := metricalarms.New(metricalarms.Config{Alarms: got, Metrics: history{}.source()}); err != nil {
		t.Errorf("New with the defaults: %v", err)
	}
}

func TestDefaultAlarmsScopes(t *testing.T) {
	local := func(svc string, alarms ...string) release.Target {
		return release.Target{Type: release.TargetLocal, Name: "local:" + svc, Service: svc, Alarms: alarms}
	}
	p := release.Pipeline{
		Name:   "shop",
		Alarms: []string{"shop-5xx"},
		Stages: []release.Stage{{Name: "prod", Waves: []release.Wave{
			{Name: "one", Targets: []release.Target{local("a", "a-latency"), {Type: release.TargetLambdaAlias, Name: "fn:live", Function: "fn", Alias: "live"}}},
			{Name: "two", Alarms: []string{"two-errors"}, Targets: []release.Target{local("b")}},
		}}},
	}
	got, err := metricalarms.DefaultAlarms(p)
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string][]string{}
	for _, a := range got {
		scopes[a.Name] = a.Services
	}
	want := map[string][]string{"a-latency": {"a"}, "shop-5xx": {"a"}, "two-errors": {"b"}}
	if len(scopes) != len(want) {
		t.Fatalf("alarms %v, want %v", scopes, want)
	}
	for n, w := range want {
		if !slices.Equal(scopes[n], w) {
			t.Errorf("%s watches %v, want %v", n, scopes[n], w)
		}
	}

	p.Alarms = []string{"shop-cpu"}
	if _, err := metricalarms.DefaultAlarms(p); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("DefaultAlarms with shop-cpu = %v, want ErrInvalid", err)
	}
}
