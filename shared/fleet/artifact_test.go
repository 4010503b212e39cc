package fleet_test

import (
	"bufio"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/fleet/demo"
	"github.com/shipwave/shipwave/shared/release"
)

func TestParseArtifact(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    fleet.Artifact
		canon   string
		wantErr string
	}{
		{name: "plain", in: "v1", want: fleet.Artifact{Version: "v1"}, canon: "v1"},
		{name: "faults reordered", in: "v3+latency=300ms+error-rate=0.2", want: fleet.Artifact{Version: "v3", ErrorRate: 0.2, Latency: 300 * time.Millisecond}, canon: "v3+error-rate=0.2+latency=300ms"},
		{name: "crash on start", in: "v2+crash-on-start", want: fleet.Artifact{Version: "v2", CrashOnStart: true}, canon: "v2+crash-on-start"},
		{name: "crash after", in: "git:abc123+crash-after=2s", want: fleet.Artifact{Version: "git:abc123", CrashAfter: 2 * time.Second}, canon: "git:abc123+crash-after=2s"},
		{name: "unknown fault", in: "v1+cpu=100", wantErr: `unknown fault "cpu"`},
		{name: "rate above 1", in: "v1+error-rate=1.5", wantErr: "error-rate=\"1.5\""},
		{name: "NaN rate", in: "v1+error-rate=NaN", wantErr: "error-rate"},
		{name: "negative latency", in: "v1+latency=-1s", wantErr: "latency=\"-1s\""},
		{name: "empty fault", in: "v1++latency=1s", wantErr: "empty fault"},
		{name: "no version", in: "+latency=1s", wantErr: "version is empty"},
		{name: "space in version", in: "v 1", wantErr: "not allowed"},
		{name: "twice", in: "v1+latency=1s+latency=2s", wantErr: "given twice"},
		{name: "value on flag fault", in: "v1+crash-on-start=yes", wantErr: "takes no value"},
		{name: "slowdown", in: "v4+latency=+40%", want: fleet.Artifact{Version: "v4", Slowdown: 40}, canon: "v4+latency=+40%"},
		{name: "slowdown with other faults", in: "v4+latency=+12.5%+error-rate=0.01", want: fleet.Artifact{Version: "v4", Slowdown: 12.5, ErrorRate: 0.01}, canon: "v4+error-rate=0.01+latency=+12.5%"},
		{name: "slowdown without percent", in: "v4+latency=+40", wantErr: "want a slowdown"},
		{name: "slowdown too big", in: "v4+latency=+5000%", wantErr: "want a slowdown"},
		{name: "slowdown exponent", in: "v4+latency=+4e1%", wantErr: "want a slowdown"},
		{name: "slowdown and added latency", in: "v4+latency=+40%+latency=1s", wantErr: "given twice"},
		{name: "too long", in: "v" + strings.Repeat("1", 300), wantErr: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fleet.ParseArtifact(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseArtifact(%q) = %v, want ErrInvalid containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseArtifact(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.canon {
				t.Errorf("String() = %q, want %q", got.String(), tt.canon)
			}
		})
	}
}

func TestWithFaults(t *testing.T) {
	if got, err := fleet.WithFaults("v3", "latency=+40%"); err != nil || got != "v3+latency=+40%" {
		t.Errorf("WithFaults(latency=+40%%) = %q, %v; want v3+latency=+40%%", got, err)
	}
	got, err := fleet.WithFaults("v3", "latency=300ms", "error-rate=0.2")
	if err != nil || got != "v3+error-rate=0.2+latency=300ms" {
		t.Errorf("WithFaults = %q, %v; want v3+error-rate=0.2+latency=300ms", got, err)
	}
	if _, err := fleet.WithFaults("v3", "error-rate=lots"); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("WithFaults(error-rate=lots) = %v, want ErrInvalid", err)
	}
}

// FuzzParseArtifact checks that artifacts, which arrive from pushes and
// chat, parse without panicking, and that what parses round-trips through
// String and maps to demo-service flags the service accepts.
func FuzzParseArtifact(f *testing.F) {
	file, err := os.Open("testdata/artifacts.txt")
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	file.Close()
	f.Fuzz(func(t *testing.T, s string) {
		a, err := fleet.ParseArtifact(s)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("ParseArtifact(%q) = %v, not ErrInvalid", s, err)
			}
			return
		}
		b, err := fleet.ParseArtifact(a.String())
		if err != nil || b != a {
			t.Fatalf("round trip of %q via %q = %+v, %v; want %+v", s, a.String(), b, err, a)
		}
		cfg, err := demo.ParseArgs(a.Args(), nil)
		if err != nil {
			t.Fatalf("demo-service rejects flags %q of %q: %v", a.Args(), s, err)
		}
		if cfg.Version != a.Version || cfg.ErrorRate != a.ErrorRate || cfg.Latency != a.Latency || (a.Slowdown > 0 && cfg.LatencyFactor != 1+a.Slowdown/100) || cfg.CrashOnStart != a.CrashOnStart || cfg.CrashAfter != a.CrashAfter {
			t.Fatalf("flags %q parse to %+v, want %+v", a.Args(), cfg, a)
		}
		if slices.Contains(a.Args(), "") {
			t.Fatalf("empty flag in %q", a.Args())
		}
	})
}
