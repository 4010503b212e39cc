package spec

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/glob"
	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
)

// golden compares got with testdata/name, or rewrites it under -update.

// render is what the golden files hold: the problems, or the summary and
// the parsed pipeline as JSON.
func render(tb testing.TB, file string, data []byte) string {
	tb.Helper()
	p, err := Parse(file, data)
	if err != nil {
		ps := AsProblems(err)
		if ps == nil {
			tb.Fatalf("Parse(%s) error is %T, want Problems: %v", file, err, err)
		}
		return ps.Error() + "\n"
	}
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return Summary(p) + "\n\n" + string(js) + "\n"
}

func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.yaml (err %v)", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, name+".golden", []byte(render(t, filepath.Base(file), data)))
		})
	}
}

func TestManyMistakesNamesEveryOne(t *testing.T) {
	data, err := os.ReadFile("testdata/many-mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("many-mistakes.yaml", data)
	ps := AsProblems(err)
	if !errors.Is(err, release.ErrInvalid) {
		t.Errorf("errors.Is(err, release.ErrInvalid) = false, want true")
	}
	// Each mistake the spec was written with, by line and path.
	want := []string{
		"3 source.paths[1]",               // bad glob
		"4 executionMode",                 // bad enum
		"7 triggers[1].schedule.cron",     // bad cron (no ?)
		"7 triggers[1].schedule.timezone", // bad time zone
		"8 triggers[2].schedule.cron",     // hour out of range
		"9 triggers[3]",                   // two kinds in one trigger
		"11 deployWindows[0].days",        // bad day range
		"12 alarms[1]",                    // duplicate alarm
		"17 stages[0].bake",               // bad duration
		"18 stages[0].loadTest.criteria.errorRate",
		"20 stages[1].aproval",             // unknown field
		"22 stages[1].waves[0].deployment", // unknown deployment config
		"23 stages[1].waves[1].targets",    // wave without targets
		"25 stages[1].waves[2].targets[0].name",
		"25 stages[1].waves[2].targets[0].cluster",
		"26 stages[1].waves[2].deployment.percent",
		"28 stages[1].waves[2].bake", // duplicate key
	}
	var got []string
	for _, p := range ps {
		got = append(got, strings.Join([]string{strconv.Itoa(p.Line), p.Path}, " "))
		if p.File != "many-mistakes.yaml" {
			t.Errorf("problem file = %q, want many-mistakes.yaml", p.File)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems at\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// spec builds a valid spec around a stages block (indented two spaces), so
// that each case changes one thing. Lines: the stages block starts on line 4.
func specWith(head, stages string) []byte {
	if head == "" {
		head = "source: { repository: r }"
	}
	return []byte("apiVersion: shipwave/v1\npipeline: p\n" + head + "\nstages:\n" + stages)
}

const okStage = "  - name: beta\n    targets: [{ type: local, service: s }]\n"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name   string
		head   string
		stages string
		want   []string // "LINE path: message substring"
	}{
		{name: "unknown top-level field", head: "sauce: { repository: r }", stages: okStage,
			want: []string{`3 sauce: unknown field "sauce" (did you mean "source"?)`}},
		{name: "missing stages", head: "source: { repository: r }", stages: "",
			want: []string{"4 stages: is required"}},
		{name: "empty stages", stages: "  []\n", want: []string{"5 stages: needs at least one stage"}},
		{name: "stage not a mapping", stages: "  - beta\n", want: []string{`5 stages[0]: must be a mapping, got "beta"`}},
		{name: "stage without targets or waves", stages: "  - name: beta\n",
			want: []string{"5 stages[0].targets: a stage needs targets"}},
		{name: "bad bake", stages: okStage + "    bake: 5x\n", want: []string{`7 stages[0].bake: invalid duration "5x"`}},
		{name: "negative bake", stages: okStage + "    bake: -5m\n", want: []string{"must not be negative"}},
		{name: "bake without unit", stages: okStage + "    bake: 300\n", want: []string{`7 stages[0].bake: invalid duration "300": missing unit`}},
		{name: "bake too long", stages: okStage + "    bake: 31d\n", want: []string{"7 stages[0].bake: must be between 0s and 30d, got 31d"}},
		{name: "deployment typo with prefix", stages: okStage + "    deployment: CodeDeployDefault.LambdaLinear10PercentEvery5Minutes\n",
			want: []string{`unknown deployment config "CodeDeployDefault.LambdaLinear10PercentEvery5Minutes" (did you mean "Linear10PercentEvery2Minutes"?)`}},
		{name: "custom deployment missing interval", stages: okStage + "    deployment: { type: canary, percent: 10 }\n",
			want: []string{"7 stages[0].deployment.interval: is required"}},
		{name: "custom deployment unknown type", stages: okStage + "    deployment: { type: blue, percent: 10, interval: 1m }\n",
			want: []string{`7 stages[0].deployment.type: must be one of canary, linear, allAtOnce, got "blue"`}},
		{name: "deployment as list", stages: okStage + "    deployment: [AllAtOnce]\n",
			want: []string{"7 stages[0].deployment: must be a predefined config name or {type, percent, interval}, got a list"}},
		{name: "wave without targets", stages: "  - name: prod\n    waves:\n      - name: one\n        bake: 1m\n",
			want: []string{"7 stages[0].waves[0].targets: a wave needs at least one target"}},
		{name: "duplicate wave names", stages: "  - name: prod\n    waves:\n      - { name: a, targets: [{ type: local, service: x }] }\n      - { name: a, targets: [{ type: local, service: y }] }\n",
			want: []string{`8 stages[0].waves[1].name: wave "a" is already defined at stages[0].waves[0]`}},
		{name: "duplicate targets across stages", stages: okStage + okStage[:len("  - name: ")] + "gamma\n" + okStage[len("  - name: beta\n"):],
			want: []string{`8 stages[1].targets[0].name: target "local:s" is already used at stages[0].targets[0]`}},
		{name: "bad cron", head: "source: { repository: r }\ntriggers: [schedule: { cron: \"0 2 * *\" }]", stages: okStage,
			want: []string{"4 triggers[0].schedule.cron: cron expression \"0 2 * *\": want 6 fields"}},
		{name: "bad timezone", head: "source: { repository: r }\ntriggers: [schedule: { cron: \"rate(1 day)\", timezone: Moon/Base }]", stages: okStage,
			want: []string{`4 triggers[0].schedule.timezone: unknown time zone "Moon/Base"`}},
		{name: "push without repository", head: "triggers: [push: {}]", stages: okStage,
			want: []string{"3 triggers[0].push: push triggers need source.repository"}},
		{name: "image without repository", head: "triggers: [image: {}]", stages: okStage,
			want: []string{"3 triggers[0].image.repository: is required (or set source.image)"}},
		{name: "empty trigger", head: "source: { repository: r }\ntriggers: [{}]", stages: okStage,
			want: []string{"4 triggers[0]: empty trigger"}},
		{name: "unknown trigger kind", head: "source: { repository: r }\ntriggers: [{ cron: x }]", stages: okStage,
			want: []string{`4 triggers[0].cron: unknown field "cron"`}},
		{name: "bad branch glob", head: "source: { repository: r }\ntriggers: [push: { branches: [\"release/{a,b\"] }]", stages: okStage,
			want: []string{`4 triggers[0].push.branches[0]: bad pattern "release/{a,b": unterminated '{' at offset 8`}},
		{name: "bad window hours", head: "deployWindows: [{ hours: \"9-17\" }]", stages: okStage,
			want: []string{`3 deployWindows[0].hours: "9-17" is not a time range`}},
		{name: "empty window", head: "deployWindows: [{ hours: \"09:00-09:00\" }]", stages: okStage,
			want: []string{"is an empty window"}},
		{name: "window time out of range", head: "deployWindows: [{ hours: \"09:00-25:00\" }]", stages: okStage,
			want: []string{"has a time outside 00:00-24:00"}},
		{name: "no days", head: "deployWindows: [{ days: [] }]", stages: okStage,
			want: []string{"3 deployWindows[0].days: needs at least one day"}},
		{name: "bad blocked date", head: "deployWindows: [{ blocked: [2026-13-01] }]", stages: okStage,
			want: []string{`3 deployWindows[0].blocked[0]: "2026-13-01" is not a date`}},
		{name: "approval without approvers", stages: "  - name: prod\n    approval: { timeout: 1h }\n    targets: [{ type: local, service: s }]\n",
			want: []string{"6 stages[0].approval.approvers: an approval needs approvers"}},
		{name: "load test without rate", stages: okStage + "    loadTest: { holdFor: 1m }\n",
			want: []string{"7 stages[0].loadTest.rps: a load test needs rps"}},
		{name: "hook with neither", head: "hooks: { preTraffic: { timeout: 1m } }", stages: okStage,
			want: []string{"3 hooks.preTraffic: needs lambda (a function name) or http (a URL)"}},
		{name: "bad onFailure", head: "onFailure: rollbackEverything", stages: okStage,
			want: []string{`3 onFailure: must be one of rollbackWave, rollbackAllWaves, got "rollbackEverything"`}},
		{name: "bad region", stages: "  - name: beta\n    targets: [{ type: lambdaAlias, function: f, region: mars-1 }]\n",
			want: []string{`6 stages[0].targets[0].region: "mars-1" is not an AWS region`}},
		{name: "number as bool", stages: okStage + "    windowed: 1\n", want: []string{"7 stages[0].windowed: must be true or false, got the number 1"}},
		{name: "second document", stages: okStage + "---\nfoo: bar\n", want: []string{"7 : only one YAML document per file"}},
		{name: "alarm local mode cannot derive", head: "source: { repository: r }\nalarms: [shop-5xx, shop-cpu]", stages: okStage,
			want: []string{`4 alarms[1]: alarm "shop-cpu" is watched on a local target, but local mode derives alarms only from names ending in -5xx, -errors, -p99 or -latency`}},
		{name: "underivable alarm on a lambda target is fine", head: "source: { repository: r }\nalarms: [shop-cpu]",
			stages: "  - name: beta\n    targets: [{ type: lambdaAlias, function: f, alias: live }]\n    alarms: [shop-disk]\n", want: nil},
		{name: "unknown merged field", head: "x: &h { repository: r, brunch: main }\nsource: { <<: *h }", stages: okStage,
			want: []string{`3 x: unknown field "x"`, `3 source.brunch: unknown field "brunch" (did you mean "branch"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", specWith(tt.head, tt.stages))
			ps := AsProblems(err)
			if ps == nil && len(tt.want) > 0 {
				t.Fatalf("Parse = %v, want problems %q", err, tt.want)
			}
			var got []string
			for _, p := range ps {
				got = append(got, strconv.Itoa(p.Line)+" "+p.Path+": "+p.Message)
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("problems\n%s\nwant one containing %q", strings.Join(got, "\n"), w)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
		})
	}
}

func TestProblemsSortedAndFormatted(t *testing.T) {
	_, err := Parse("f.yaml", []byte("apiVersion: v0\nstages: x\npipeline: \"\"\nbogus: 1\n"))
	ps := AsProblems(err)
	want := "f.yaml:1: apiVersion: unsupported version \"v0\"; want shipwave/v1\n" +
		"f.yaml:2: stages: must be a list, got \"x\"\n" +
		"f.yaml:3: pipeline: must not be empty\n" +
		"f.yaml:4: bogus: unknown field \"bogus\""
	if got := ps.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestParseWholeFileProblems(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{name: "empty", data: "", want: "f.yaml: file is empty; want a pipeline spec starting with apiVersion: shipwave/v1"},
		{name: "comments only", data: "# nothing\n", want: "f.yaml: file is empty; want a pipeline spec starting with apiVersion: shipwave/v1"},
		{name: "not a mapping", data: "- a\n- b\n", want: "f.yaml:1: must be a mapping, got a list"},
		{name: "syntax", data: "a: [\n", want: "f.yaml:1: not valid YAML: did not find expected node content"},
		{name: "tab indent", data: "a:\n\tb: 1\n", want: "f.yaml:2: not valid YAML: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tt.data, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	data, err := os.ReadFile("testdata/defaults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("defaults.yaml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	beta, prod := p.Stages[0], p.Stages[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"executionMode", p.ExecutionMode, release.ModeSuperseded},
		{"onFailure", p.OnFailure, release.FailureRollbackAllWaves},
		{"source.branch", p.Source.Branch, "main"},
		{"window days (Fri-Mon wraps the week)", p.DeployWindows[0].Days, []time.Weekday{time.Sunday, time.Monday, time.Friday, time.Saturday}},
		{"window start", p.DeployWindows[0].Start, release.Clock(22 * 60)},
		{"window end wraps", p.DeployWindows[0].End, release.Clock(2 * 60)},
		{"window timezone", p.DeployWindows[0].Timezone, "UTC"},
		{"implicit wave named after stage", beta.Waves[0].Name, "beta"},
		{"beta not windowed", beta.Windowed, false},
		{"prod-eu windowed", prod.Windowed, true},
		{"approval approvers from pipeline", prod.Approval.Approvers, []string{"ops"}},
		{"approval timeout", prod.Approval.Timeout, 24 * time.Hour},
		{"wave names", []string{prod.Waves[0].Name, prod.Waves[1].Name}, []string{"wave-1", "wave-2"}},
		{"deployment", beta.Waves[0].Deployment, release.Deployment{Name: "AllAtOnce", Type: release.ShiftAllAtOnce}},
		{"bake", beta.Waves[0].Bake, release.Bake{Duration: 5 * time.Minute, OnInsufficientData: "fail"}},
		{"wave onFailure", prod.Waves[1].OnFailure, release.FailureRollbackAllWaves},
		{"lambda alias and name", [2]string{beta.Waves[0].Targets[0].Alias, beta.Waves[0].Targets[0].Name}, [2]string{"live", "lambda:tiny-beta:live"}},
		{"local instances and name", [2]any{prod.Waves[0].Targets[0].Instances, prod.Waves[0].Targets[0].Name}, [2]any{1, "local:tiny"}},
		{"ecs name", prod.Waves[1].Targets[0].Name, "ecs:c/s"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			g, _ := json.Marshal(c.got)
			w, _ := json.Marshal(c.want)
			if string(g) != string(w) {
				t.Errorf("got %s, want %s", g, w)
			}
		})
	}
}

func TestParseInheritance(t *testing.T) {
	src := `apiVersion: shipwave/v1
pipeline: p
alarms: [pipe-alarm]
hooks: { preTraffic: { lambda: pipe-pre }, postTraffic: { lambda: pipe-post } }
onFailure: rollbackWave
stages:
  - name: prod
    deployment: Canary10Percent5Minutes
    bake: { duration: 1h, minRequests: 100 }
    alarms: [stage-5xx]
    hooks: { postTraffic: { http: "https://x.example/post", timeout: 30s } }
    waves:
      - name: a
        targets: [{ type: local, service: a }]
      - name: b
        targets: [{ type: local, service: b }]
        deployment: { type: linear, percent: 50, interval: 30s }
        bake: 2m
        alarms: [wave-p99]
        onFailure: rollbackAllWaves
`
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	a, b := p.Stages[0].Waves[0], p.Stages[0].Waves[1]
	tests := []struct {
		name      string
		got, want any
	}{
		{"a deployment from stage", a.Deployment.Name, "Canary10Percent5Minutes"},
		{"a bake from stage", a.Bake, release.Bake{Duration: time.Hour, MinRequests: 100, OnInsufficientData: "fail"}},
		{"a alarms from stage", a.Alarms, []string{"stage-5xx"}},
		{"a pre hook from pipeline", a.Hooks.PreTraffic.Lambda, "pipe-pre"},
		{"a post hook from stage", a.Hooks.PostTraffic.HTTP, "https://x.example/post"},
		{"a onFailure from pipeline", a.OnFailure, release.FailureRollbackWave},
		{"b custom deployment", b.Deployment, release.Deployment{Type: release.ShiftLinear, Percent: 50, Interval: 30 * time.Second}},
		{"b bake keeps stage minRequests", b.Bake, release.Bake{Duration: 2 * time.Minute, MinRequests: 100, OnInsufficientData: "fail"}},
		{"b alarms own", b.Alarms, []string{"wave-p99"}},
		{"b onFailure own", b.OnFailure, release.FailureRollbackAllWaves},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := json.Marshal(tt.got)
			w, _ := json.Marshal(tt.want)
			if string(g) != string(w) {
				t.Errorf("got %s, want %s", g, w)
			}
		})
	}
}

// TestExamples validates every spec shipped under examples/.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want at least three examples, found %d (err %v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(file, data)
			if err != nil {
				t.Fatalf("example does not validate:\n%v", err)
			}
			for _, s := range p.Stages {
				for _, w := range s.Waves {
					if _, err := w.Deployment.Compile(w.Bake.Duration); err != nil {
						t.Errorf("stage %s wave %s: %v", s.Name, w.Name, err)
					}
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "5m", want: 5 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0.5d", want: 12 * time.Hour},
		{in: "300ms", want: 300 * time.Millisecond},
		{in: "0", want: 0},
		{in: "", err: "empty"},
		{in: "5", err: "missing unit"},
		{in: "-1m", err: "must not be negative"},
		{in: "5 minutes", err: "want a number and unit"},
		{in: "xd", err: "bad day count"},
		{in: "1d-1h", err: "want a number and unit"},
		{in: "1w", err: "want a number and unit"},
		{in: "1e3d", err: "bad day count"},
		{in: "106752d", err: "bad day count"},
		{in: "106751d23h47m16.854775807s", want: time.Duration(math.MaxInt64)},
		{in: "106751d23h47m16.854775808s", err: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ParseDuration(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("ParseDuration(%q) error = %v", tt.in, err)
			case tt.err == "" && got != tt.want:
				t.Errorf("ParseDuration(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {30 * time.Second, "30s"}, {5 * time.Minute, "5m"}, {90 * time.Minute, "1h30m"},
		{time.Hour, "1h"}, {48 * time.Hour, "2d"}, {26 * time.Hour, "1d2h"}, {300 * time.Millisecond, "300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.in); got != tt.want {
				t.Errorf("FormatDuration(%s) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := ParseDuration(tt.want)
			if err != nil || back != tt.in {
				t.Errorf("ParseDuration(%q) = %s, %v; want %s", tt.want, back, err, tt.in)
			}
		})
	}
}

func TestCheckGlob(t *testing.T) {
	tests := []struct {
		pattern string
		err     string
	}{
		{pattern: "main"}, {pattern: "release/*"}, {pattern: "src/**"}, {pattern: "src/**/*.go"},
		{pattern: "**/*.md"}, {pattern: "v[0-9]*"}, {pattern: "[!a]b"}, {pattern: "{main,release/*}"},
		{pattern: `a\*b`}, {pattern: "[]]", err: "empty character class"}, {pattern: "[!]", err: "empty character class"}, {pattern: "file?.txt"}, {pattern: "{src/**,lib/**}"},
		{pattern: "", err: "empty pattern"},
		{pattern: "src/[a-", err: "unterminated '['"},
		{pattern: "[z-a]", err: "out of order"},
		{pattern: "{a,b", err: "unterminated '{'"},
		{pattern: "a}", err: "unmatched '}'"},
		{pattern: "src/**.go"}, {pattern: "a**b"},
		{pattern: `abc\`, err: "escapes nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := glob.Compile(tt.pattern)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("glob.Compile(%q) = %v, want nil", tt.pattern, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("glob.Compile(%q) = %v, want error containing %q", tt.pattern, err, tt.err)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"aproval", "approval", true},
		{"Canary10Percent7Minutes", "Canary10Percent5Minutes", true},
		{"allatonce", "AllAtOnce", true},
		{"zzzzzz", "", false},
	}
	cands := append([]string{"approval", "stages"}, release.PredefinedNames()...)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := suggest(tt.in, cands)
			if got != tt.want || ok != tt.ok {
				t.Errorf("suggest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: shipwave/v1\npipeline: p\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("stages: [{ name: s, targets: [{ type: local, service: s }], alarms: *a8 }]\n")
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("Parse of an alias bomb = nil error, want problems")
	}
	// The walk follows only the fields a spec has, so the 10^9-leaf alias
	// tree is never expanded: a handful of problems, quickly.
	if ps := AsProblems(err); len(ps) == 0 || len(ps) > 30 {
		t.Errorf("got %d problems, want 1-30; first: %s", len(ps), firstLine(err.Error()))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse took %s, want it bounded", d)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "../../examples/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic("Parse took over 5s for " + strconv.Quote(string(data))) })
		defer watchdog.Stop()
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			ps := AsProblems(err)
			if len(ps) == 0 {
				t.Fatalf("error %v is not a non-empty Problems", err)
			}
			for i, pr := range ps {
				if pr.Message == "" || pr.Line < 0 || (i > 0 && ps[i-1].Line > pr.Line) {
					t.Fatalf("bad or unsorted problem %d: %+v", i, pr)
				}
			}
			return
		}
		_ = Summary(p)
		if p.APIVersion != APIVersion || p.Name == "" || len(p.Stages) == 0 {
			t.Fatalf("valid pipeline missing basics: %+v", p)
		}
		names := map[string]bool{}
		for _, s := range p.Stages {
			if len(s.Waves) == 0 {
				t.Fatalf("stage %s has no waves", s.Name)
			}
			for _, w := range s.Waves {
				if len(w.Targets) == 0 {
					t.Fatalf("wave %s has no targets", w.Name)
				}
				if _, err := w.Deployment.Compile(w.Bake.Duration); err != nil {
					t.Fatalf("wave %s does not compile: %v", w.Name, err)
				}
				for i, st := range w.Deployment.Steps {
					if st.Analysis == nil {
						continue
					}
					if err := analysis.FromRelease(*st.Analysis).Validate(); err != nil {
						t.Fatalf("wave %s step %d: analysis the judge rejects: %v", w.Name, i, err)
					}
				}
				for _, tg := range w.Targets {
					if tg.Name == "" || names[tg.Name] {
						t.Fatalf("target name %q empty or repeated", tg.Name)
					}
					names[tg.Name] = true
				}
			}
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "5m", "1h30m", "2d", "1d12h", "0.5d", "300ms", "0", "-1m", "5", "1w", "2562047h", "106751d23h47m16.854775807s", "1e3d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %s, negative", s, d)
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("ParseDuration(FormatDuration(%s) = %q) = %s, %v", d, FormatDuration(d), back, err)
		}
	})
}
