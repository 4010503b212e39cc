package spec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/spec"
)

func TestRefuseLoadTests(t *testing.T) {
	const msg = "this stack has no load-test networking"
	const head = `apiVersion: shipwave/v1
pipeline: p
source: { repository: p, branch: main }
stages:
  - name: beta
    targets: [{ type: lambdaAlias, function: p-beta, alias: live }]
`
	const stageLoadTest = `    loadTest: { tasks: 1, rps: 10, holdFor: 1m }
`
	const waves = `  - name: prod
    waves:
      - name: one
        targets: [{ type: lambdaAlias, function: p-prod, alias: live }]
        loadTest: { tasks: 1, rps: 10, holdFor: 1m }
      - name: two
        targets: [{ type: lambdaAlias, function: p-prod2, alias: live }]
`
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "no load test", src: head},
		{name: "stage and wave load tests", src: head + stageLoadTest + waves,
			want: "p.yaml:7: stages[0].loadTest: " + msg + "\np.yaml:12: stages[1].waves[0].loadTest: " + msg},
		{name: "null loadTest runs none", src: head + "    loadTest: null\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := spec.Parse("p.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			err = spec.RefuseLoadTests("p.yaml", []byte(tt.src), p, msg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("RefuseLoadTests = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, release.ErrInvalid) || err.Error() != tt.want {
				t.Errorf("RefuseLoadTests =\n%v\nwant ErrInvalid:\n%s", err, tt.want)
			}
			if !strings.Contains(err.Error(), "loadTest") {
				t.Errorf("error names no field: %v", err)
			}
		})
	}
}
