package control_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
)

func parseExample(t testing.TB, name string) release.Pipeline {
	t.Helper()
	file := filepath.Join("..", "..", "examples", name)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Parse(file, b)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return p
}

// TestCompileGolden pins the plan every example compiles to: the data the
// state machines iterate.
func TestCompileGolden(t *testing.T) {
	for _, ex := range []string{"orders-lambda.yaml", "payments-ecs.yaml", "local-demo.yaml"} {
		t.Run(ex, func(t *testing.T) {
			p := parseExample(t, ex)
			r := release.Release{ID: "01J0RELEASE", Pipeline: p.Name, Version: "v2", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			plan, err := control.Compile(p, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(plan, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", ex+".plan.golden"), got)
		})
	}
}

func TestCompileSteps(t *testing.T) {
	tests := []struct {
		name       string
		deployment string
		bake       time.Duration
		want       []control.StepInput
		wantFinal  control.StepInput
	}{
		{"all at once", "AllAtOnce", 10 * time.Minute, []control.StepInput{{Weight: 100}}, control.StepInput{Weight: 100, BakeSeconds: 600}},
		{"canary", "Canary10Percent5Minutes", time.Hour, []control.StepInput{{Weight: 10, BakeSeconds: 300}, {Weight: 100}}, control.StepInput{Weight: 100, BakeSeconds: 3600}},
		{"linear", "Linear10PercentEvery1Minute", 0, []control.StepInput{
			{Weight: 10, BakeSeconds: 60}, {Weight: 20, BakeSeconds: 60}, {Weight: 30, BakeSeconds: 60}, {Weight: 40, BakeSeconds: 60}, {Weight: 50, BakeSeconds: 60}, {Weight: 60, BakeSeconds: 60}, {Weight: 70, BakeSeconds: 60}, {Weight: 80, BakeSeconds: 60}, {Weight: 90, BakeSeconds: 60}, {Weight: 100}}, control.StepInput{Weight: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := release.PredefinedDeployment(tt.deployment)
			if !ok {
				t.Fatalf("unknown deployment %s", tt.deployment)
			}
			p := release.Pipeline{Name: "p", Stages: []release.Stage{{Name: "prod", Waves: []release.Wave{{
				Name: "w", Deployment: d, Bake: release.Bake{Duration: tt.bake},
				Targets: []release.Target{{Type: release.TargetLocal, Name: "local:a", Service: "a"}},
			}}}}}
			plan, err := control.Compile(p, release.Release{ID: "r1", Pipeline: "p", Version: "v2"})
			if err != nil {
				t.Fatal(err)
			}
			in := plan.Stages[0].Waves[0].Targets[0]
			gotSteps, _ := json.Marshal(in.Steps)
			wantSteps, _ := json.Marshal(tt.want)
			if !bytes.Equal(gotSteps, wantSteps) {
				t.Errorf("steps = %s, want %s", gotSteps, wantSteps)
			}
			if in.FinalStep != tt.wantFinal {
				t.Errorf("final step = %+v, want %+v", in.FinalStep, tt.wantFinal)
			}
			if in.ExecutionName != "r1-s0w0t0" {
				t.Errorf("execution name = %q", in.ExecutionName)
			}
			if in.LoadTest != nil {
				t.Errorf("load test = %+v, want null", in.LoadTest)
			}
		})
	}
}

// TestDeployExecutionNamesLeaveRoomForLoadTest checks that every deploy
// execution name, and the load-test execution name deploy.asl.json derives
// from it ("<name>-lt"), fits Step Functions' 80 characters and stays
// distinct for long release ids sharing a prefix.
func TestDeployExecutionNamesLeaveRoomForLoadTest(t *testing.T) {
	p := parseExample(t, "orders-lambda.yaml")
	long := strings.Repeat("r", 79)
	seen := map[string]string{}
	for _, id := range []string{"01J0RELEASE", long, long + "a", long + "b", strings.Repeat("x", 70)} {
		plan, err := control.Compile(p, release.Release{ID: id, Pipeline: p.Name, Version: "v2"})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range plan.Stages {
			for _, w := range st.Waves {
				for _, tg := range w.Targets {
					name := tg.ExecutionName
					if len(name+"-lt") > 80 {
						t.Errorf("release %q: load-test execution name %q is %d characters, over 80", id, name+"-lt", len(name+"-lt"))
					}
					if other, dup := seen[name]; dup {
						t.Errorf("releases %q and %q share deploy execution name %q", other, id, name)
					}
					seen[name] = id
				}
			}
		}
	}
}
