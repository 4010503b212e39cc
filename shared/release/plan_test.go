package release

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// steps writes a plan compactly: "10%/5m 100%/1h".
func steps(p Plan) string {
	var parts []string
	for _, s := range p {
		parts = append(parts, fmt.Sprintf("%d%%/%s", s.Weight, s.Bake))
	}
	return strings.Join(parts, " ")
}

func linear(pct int, every time.Duration, final time.Duration) string {
	var parts []string
	for w := pct; w < 100; w += pct {
		parts = append(parts, fmt.Sprintf("%d%%/%s", w, every))
	}
	return strings.Join(append(parts, fmt.Sprintf("100%%/%s", final)), " ")
}

func TestCompilePredefined(t *testing.T) {
	const bake = time.Hour
	tests := []struct {
		name string
		want string
	}{
		{name: "AllAtOnce", want: "100%/1h0m0s"},
		{name: "Canary10Percent5Minutes", want: "10%/5m0s 100%/1h0m0s"},
		{name: "Canary10Percent10Minutes", want: "10%/10m0s 100%/1h0m0s"},
		{name: "Canary10Percent15Minutes", want: "10%/15m0s 100%/1h0m0s"},
		{name: "Canary10Percent30Minutes", want: "10%/30m0s 100%/1h0m0s"},
		{name: "Linear10PercentEvery1Minute", want: "10%/1m0s 20%/1m0s 30%/1m0s 40%/1m0s 50%/1m0s 60%/1m0s 70%/1m0s 80%/1m0s 90%/1m0s 100%/1h0m0s"},
		{name: "Linear10PercentEvery2Minutes", want: linear(10, 2*time.Minute, bake)},
		{name: "Linear10PercentEvery3Minutes", want: linear(10, 3*time.Minute, bake)},
		{name: "Linear10PercentEvery10Minutes", want: linear(10, 10*time.Minute, bake)},
		// CodeDeploy's full names for Lambda and ECS.
		{name: "CodeDeployDefault.LambdaAllAtOnce", want: "100%/1h0m0s"},
		{name: "CodeDeployDefault.LambdaCanary10Percent30Minutes", want: "10%/30m0s 100%/1h0m0s"},
		{name: "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", want: linear(10, 10*time.Minute, bake)},
		{name: "CodeDeployDefault.ECSAllAtOnce", want: "100%/1h0m0s"},
		{name: "CodeDeployDefault.ECSCanary10Percent5Minutes", want: "10%/5m0s 100%/1h0m0s"},
		{name: "CodeDeployDefault.ECSCanary10Percent15Minutes", want: "10%/15m0s 100%/1h0m0s"},
		{name: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", want: linear(10, time.Minute, bake)},
		{name: "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", want: linear(10, 3*time.Minute, bake)},
		{name: "ECSLinear10PercentEvery3Minutes", want: linear(10, 3*time.Minute, bake)},
		{name: "LambdaCanary10Percent5Minutes", want: "10%/5m0s 100%/1h0m0s"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := PredefinedDeployment(tt.name)
			if !ok {
				t.Fatalf("PredefinedDeployment(%q) not found", tt.name)
			}
			if !slices.Contains(PredefinedNames(), d.Name) {
				t.Errorf("Name = %q, want one of PredefinedNames", d.Name)
			}
			covered[d.Name] = true
			p, err := d.Compile(bake)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := steps(p); got != tt.want {
				t.Errorf("plan = %s, want %s", got, tt.want)
			}
		})
	}
	for _, name := range PredefinedNames() {
		if !covered[name] {
			t.Errorf("predefined %s has no plan test", name)
		}
	}
}

func TestCompileCustom(t *testing.T) {
	tests := []struct {
		name  string
		d     Deployment
		final time.Duration
		want  string
	}{
		{name: "canary 10% 5s", d: Deployment{Type: ShiftCanary, Percent: 10, Interval: 5 * time.Second}, final: 10 * time.Second, want: "10%/5s 100%/10s"},
		{name: "canary 99%", d: Deployment{Type: ShiftCanary, Percent: 99, Interval: time.Minute}, final: 0, want: "99%/1m0s 100%/0s"},
		{name: "linear 25% 3s", d: Deployment{Type: ShiftLinear, Percent: 25, Interval: 3 * time.Second}, final: 5 * time.Second, want: "25%/3s 50%/3s 75%/3s 100%/5s"},
		{name: "linear 30% leaves a short last step", d: Deployment{Type: ShiftLinear, Percent: 30, Interval: time.Second}, final: time.Second, want: "30%/1s 60%/1s 90%/1s 100%/1s"},
		{name: "linear 50%", d: Deployment{Type: ShiftLinear, Percent: 50, Interval: 2 * time.Second}, final: 0, want: "50%/2s 100%/0s"},
		{name: "linear 1% has 99 shifting steps", d: Deployment{Type: ShiftLinear, Percent: 1, Interval: time.Second}, final: 0, want: linear(1, time.Second, 0)},
		{name: "allAtOnce ignores percent", d: Deployment{Type: ShiftAllAtOnce, Percent: 40}, final: time.Minute, want: "100%/1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.d.Compile(tt.final)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := steps(p); got != tt.want {
				t.Errorf("plan = %s, want %s", got, tt.want)
			}
			if last := p[len(p)-1]; last.Weight != 100 || last.Bake != tt.final {
				t.Errorf("last step = %+v, want 100%% baking %s", last, tt.final)
			}
		})
	}
}

func TestCompileInvalid(t *testing.T) {
	tests := []struct {
		name string
		d    Deployment
		want string
	}{
		{name: "canary 0%", d: Deployment{Type: ShiftCanary, Percent: 0, Interval: time.Minute}, want: "percent must be between 1 and 99, got 0"},
		{name: "canary 100%", d: Deployment{Type: ShiftCanary, Percent: 100, Interval: time.Minute}, want: "percent must be between 1 and 99, got 100"},
		{name: "linear negative", d: Deployment{Type: ShiftLinear, Percent: -10, Interval: time.Minute}, want: "percent must be between 1 and 99"},
		{name: "linear no interval", d: Deployment{Type: ShiftLinear, Percent: 10}, want: "interval must be positive"},
		{name: "canary negative interval", d: Deployment{Type: ShiftCanary, Percent: 10, Interval: -time.Second}, want: "interval must be positive"},
		{name: "unknown type", d: Deployment{Type: "blueGreen"}, want: `unknown deployment type "blueGreen"`},
		{name: "zero value", d: Deployment{}, want: `unknown deployment type ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.d.Compile(time.Minute)
			if err == nil {
				t.Fatalf("Compile = %v, want error %q", steps(p), tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPredefinedUnknown(t *testing.T) {
	for _, name := range []string{"", "Canary10Percent7Minutes", "CodeDeployDefault.", "CodeDeployDefault.OneAtATime", "canary10percent5minutes", "Linear10PercentEvery1Minutes10"} {
		t.Run(name, func(t *testing.T) {
			if d, ok := PredefinedDeployment(name); ok {
				t.Errorf("PredefinedDeployment(%q) = %+v, true; want not found", name, d)
			}
		})
	}
}

func TestCompileSteps(t *testing.T) {
	an := &Analysis{Metrics: []AnalysisMetric{{Name: "latency", Effect: 0.1}}}
	tests := []struct {
		name    string
		steps   []Step
		want    string
		wantErr string
	}{
		{name: "bake, pause, analysis", steps: []Step{{Weight: 5, Bake: time.Minute, Analysis: an}, {Weight: 50, Pause: true}, {Weight: 100, Bake: time.Hour}}, want: "5%/1m0s 50%/0s 100%/1h0m0s"},
		{name: "one step", steps: []Step{{Weight: 100}}, want: "100%/0s"},
		{name: "none", wantErr: "at least one step"},
		{name: "not ending at 100", steps: []Step{{Weight: 10, Bake: time.Minute}, {Weight: 60}}, wantErr: "last step must have weight 100, got 60"},
		{name: "not increasing", steps: []Step{{Weight: 50, Bake: time.Minute}, {Weight: 50}, {Weight: 100}}, wantErr: "steps[1]: weight 50 must be greater than the previous step's 50"},
		{name: "weight 0", steps: []Step{{Weight: 0}, {Weight: 100}}, wantErr: "steps[0]: weight must be between 1 and 100"},
		{name: "bake and pause", steps: []Step{{Weight: 10, Bake: time.Minute, Pause: true}, {Weight: 100}}, wantErr: "steps[0]: set bake or pause, not both"},
		{name: "negative bake", steps: []Step{{Weight: 10, Bake: -time.Minute}, {Weight: 100}}, wantErr: "bake must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Deployment{Type: ShiftSteps, Steps: tt.steps}.Compile(time.Hour)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := steps(p); got != tt.want {
				t.Errorf("plan %s, want %s", got, tt.want)
			}
			if !slices.EqualFunc(p, tt.steps, func(a, b Step) bool { return a.Pause == b.Pause && (a.Analysis == nil) == (b.Analysis == nil) }) {
				t.Errorf("pause/analysis not carried: %+v", p)
			}
			for i := range p {
				if p[i].Analysis != nil && p[i].Analysis == tt.steps[i].Analysis {
					t.Errorf("step %d shares its analysis with the deployment", i)
				}
			}
		})
	}
}
