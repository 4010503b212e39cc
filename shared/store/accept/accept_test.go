package accept_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

func TestRefusals(t *testing.T) {
	long := strings.Repeat("x", accept.MaxNameLen+1)
	tests := []struct {
		name string
		err  error
		want string // substring of the error; empty: accepted
	}{
		{"name", accept.Name("get spec", "pipeline", "shop"), ""},
		{"empty name", accept.Name("get spec", "pipeline", ""), "get spec: pipeline is required"},
		{"long name", accept.Name("get spec", "pipeline", long), "at most 512 allowed"},
		{"lock", accept.Lock("acquire lock", "t", "o", time.Second), ""},
		{"short lease", accept.Lock("acquire lock", "t", "o", time.Microsecond), "lease must be at least 1ms"},
		{"lock without owner", accept.Lock("acquire lock", "t", "", time.Second), "owner is required"},
		{"event", accept.Event(release.Event{ReleaseID: "r", Type: release.EventCreated, Data: []byte(`{}`)}), ""},
		{"event without type", accept.Event(release.Event{ReleaseID: "r"}), "type is required"},
		{"event with bad data", accept.Event(release.Event{ReleaseID: "r", Type: release.EventCreated, Data: []byte(`{`)}), "not valid JSON"},
		{"token", accept.TaskToken(release.TaskToken{Token: "k", ReleaseID: "r", Kind: release.TokenApproval}), ""},
		{"token without kind", accept.TaskToken(release.TaskToken{Token: "k", ReleaseID: "r"}), "kind is required"},
		{"token with empty alarm", accept.TaskToken(release.TaskToken{Token: "k", ReleaseID: "r", Kind: release.TokenApproval, Alarms: []string{""}}), "alarms[0] is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.want == "" && tt.err != nil:
				t.Errorf("err = %v, want nil", tt.err)
			case tt.want != "" && (!errors.Is(tt.err, release.ErrInvalid) || !strings.Contains(tt.err.Error(), tt.want)):
				t.Errorf("err = %v, want ErrInvalid containing %q", tt.err, tt.want)
			}
		})
	}
}

func TestSpecName(t *testing.T) {
	tests := []struct {
		name    string
		sv      release.SpecVersion
		want    string
		wantErr bool
	}{
		{"pipeline field", release.SpecVersion{Pipeline: "shop"}, "shop", false},
		{"parsed name", release.SpecVersion{Parsed: release.Pipeline{Name: "shop"}}, "shop", false},
		{"mismatch", release.SpecVersion{Pipeline: "shop", Parsed: release.Pipeline{Name: "other"}}, "", true},
		{"none", release.SpecVersion{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := accept.Spec(tt.sv)
			if got != tt.want || (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, release.ErrInvalid)) {
				t.Errorf("Spec = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNewReleaseFillsDefaults(t *testing.T) {
	r, err := accept.NewRelease(release.Release{Pipeline: "shop", Version: "v2", Trigger: release.Trigger{Key: "k"}}, func() string { return "rel-1" })
	if err != nil || r.ID != "rel-1" || r.Status != release.StatusPending {
		t.Errorf("NewRelease = %+v, %v; want id rel-1, PENDING", r, err)
	}
	if _, err := accept.NewRelease(release.Release{Pipeline: "shop"}, func() string { return "rel-2" }); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("NewRelease without a trigger key = %v, want ErrInvalid", err)
	}
}
