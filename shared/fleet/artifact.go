package fleet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Artifact is what a local target deploys: a demo-service version plus the
// faults it is built with. Its text form is the version followed by
// "+key=value" faults, for example "v3+error-rate=0.2+latency=300ms":
//
//	error-rate=F      answer GET / with 500 for a fraction F (0–1) of requests
//	latency=D         add D (a Go duration) to every GET /
//	latency=+P%       make every GET / P percent (1–1000) slower: the
//	                  fleet's base latency (Config.BaseLatency) is scaled
//	                  by 1+P/100; without a base latency it has no effect
//	crash-after=D     exit with status 2 D after start-up
//	crash-on-start    exit with status 1 before listening
//
// The version is what GET / reports; the whole artifact string is the
// version id the fleet routes by, so two builds of one version with
// different faults are different versions.
type Artifact struct {
	Version   string
	ErrorRate float64
	Latency   time.Duration
	// Slowdown is latency=+P% as a percentage (40 for +40%).
	Slowdown     float64
	CrashAfter   time.Duration
	CrashOnStart bool
}

// maxArtifactLen bounds artifact strings, which arrive from outside (pushes,
// chat commands).
const maxArtifactLen = 256

// ParseArtifact reads an artifact string. It returns an ErrInvalid-kind error
// naming the offending fault for a malformed one.
func ParseArtifact(s string) (Artifact, error) {
	bad := func(format string, args ...any) (Artifact, error) {
		return Artifact{}, release.Errorf(release.ErrInvalid, "artifact %q: %s", s, fmt.Sprintf(format, args...))
	}
	if len(s) > maxArtifactLen {
		return bad("longer than %d characters", maxArtifactLen)
	}
	parts := SplitFaults(s)
	a := Artifact{Version: parts[0]}
	if err := validVersion(a.Version); err != nil {
		return bad("%v", err)
	}
	seen := map[string]bool{}
	for _, f := range parts[1:] {
		key, val, hasVal := strings.Cut(f, "=")
		if seen[key] {
			return bad("fault %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "error-rate":
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
				return bad("error-rate=%q: want a fraction between 0 and 1", val)
			}
			a.ErrorRate = r
		case "latency", "crash-after":
			if pct, ok := strings.CutPrefix(val, "+"); ok && key == "latency" {
				num, isPct := strings.CutSuffix(pct, "%")
				p, err := strconv.ParseFloat(num, 64)
				if !isPct || err != nil || math.IsNaN(p) || p < 1 || p > 1000 || strings.ContainsAny(num, "eExXpP_") {
					return bad("latency=%q: want a slowdown between +1%% and +1000%% such as +40%%", val)
				}
				a.Slowdown = p
				continue
			}
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 || d > time.Hour {
				return bad("%s=%q: want a duration between 0 and 1h such as 300ms", key, val)
			}
			if key == "latency" {
				a.Latency = d
			} else {
				a.CrashAfter = d
			}
		case "crash-on-start":
			if hasVal && val != "true" {
				return bad("crash-on-start takes no value, got %q", val)
			}
			a.CrashOnStart = true
		case "":
			return bad("empty fault after +")
		default:
			return bad("unknown fault %q (want error-rate, latency, crash-after or crash-on-start)", key)
		}
	}
	return a, nil
}

// SplitFaults splits an artifact string (or a list of faults joined by
// "+") at each "+" that does not start a value ("latency=+40%" keeps its
// sign).
func SplitFaults(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && (i == 0 || s[i-1] != '=') {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func validVersion(v string) error {
	if v == "" {
		return fmt.Errorf("version is empty")
	}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._-:@/", r):
		default:
			return fmt.Errorf("version %q: character %q is not allowed (letters, digits and ._-:@/)", v, r)
		}
	}
	return nil
}

// String returns the canonical text form: faults in a fixed order.
func (a Artifact) String() string {
	var b strings.Builder
	b.WriteString(a.Version)
	if a.ErrorRate > 0 {
		b.WriteString("+error-rate=" + strconv.FormatFloat(a.ErrorRate, 'g', -1, 64))
	}
	if a.Latency > 0 {
		b.WriteString("+latency=" + a.Latency.String())
	}
	if a.Slowdown > 0 {
		b.WriteString("+latency=+" + strconv.FormatFloat(a.Slowdown, 'f', -1, 64) + "%")
	}
	if a.CrashAfter > 0 {
		b.WriteString("+crash-after=" + a.CrashAfter.String())
	}
	if a.CrashOnStart {
		b.WriteString("+crash-on-start")
	}
	return b.String()
}

// Args returns the demo-service flags that run a.
func (a Artifact) Args() []string {
	args := []string{"--version", a.Version}
	if a.ErrorRate > 0 {
		args = append(args, "--error-rate", strconv.FormatFloat(a.ErrorRate, 'g', -1, 64))
	}
	if a.Latency > 0 {
		args = append(args, "--latency", a.Latency.String())
	}
	if a.Slowdown > 0 {
		args = append(args, "--latency-factor", strconv.FormatFloat(1+a.Slowdown/100, 'f', -1, 64))
	}
	if a.CrashAfter > 0 {
		args = append(args, "--crash-after", a.CrashAfter.String())
	}
	if a.CrashOnStart {
		args = append(args, "--crash-on-start")
	}
	return args
}

// WithFaults returns the artifact string for version with the given faults
// ("error-rate=0.2", "latency=300ms", ...), as `shipwave local push --fault`
// builds it; it returns an ErrInvalid-kind error for a bad fault.
func WithFaults(version string, faults ...string) (string, error) {
	s := strings.Join(append([]string{version}, faults...), "+")
	a, err := ParseArtifact(s)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}
