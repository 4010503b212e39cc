package traffic_test

import (
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

func TestSplitValidate(t *testing.T) {
	tests := []struct {
		name    string
		split   traffic.Split
		wantErr bool
	}{
		{name: "partial", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 10}},
		{name: "final switch needs no stable", split: traffic.Split{Candidate: "2", Weight: 100}},
		{name: "rollback needs no candidate", split: traffic.Split{Stable: "1"}},
		{name: "negative", split: traffic.Split{Stable: "1", Candidate: "2", Weight: -1}, wantErr: true},
		{name: "over 100", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 101}, wantErr: true},
		{name: "partial without candidate", split: traffic.Split{Stable: "1", Weight: 5}, wantErr: true},
		{name: "partial without stable", split: traffic.Split{Candidate: "2", Weight: 5}, wantErr: true},
		{name: "same version twice", split: traffic.Split{Stable: "1", Candidate: "1", Weight: 5}, wantErr: true},
		{name: "rollback without stable", split: traffic.Split{Candidate: "2"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.split.Validate()
			if tt.wantErr != (err != nil) {
				t.Fatalf("Validate(%+v) = %v, want error %v", tt.split, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, release.ErrInvalid) {
				t.Errorf("Validate error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestSplitSettledAndString(t *testing.T) {
	tests := []struct {
		name        string
		split       traffic.Split
		wantSettled traffic.Split
		wantString  string
	}{
		{name: "partial", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 10}, wantSettled: traffic.Split{Stable: "1", Candidate: "2", Weight: 10}, wantString: "90% on 1, 10% on 2"},
		{name: "final", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 100}, wantSettled: traffic.Split{Stable: "2"}, wantString: "100% on 2"},
		{name: "rollback", split: traffic.Split{Stable: "1", Candidate: "2"}, wantSettled: traffic.Split{Stable: "1"}, wantString: "100% on 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.split.Settled(); got != tt.wantSettled {
				t.Errorf("Settled() = %+v, want %+v", got, tt.wantSettled)
			}
			if got := tt.split.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if !tt.split.Same(tt.wantSettled) {
				t.Errorf("Same(%+v) = false, want true", tt.wantSettled)
			}
		})
	}
	if (traffic.Split{Stable: "1"}).Same(traffic.Split{Stable: "2"}) {
		t.Errorf("all on 1 is Same as all on 2")
	}
}
