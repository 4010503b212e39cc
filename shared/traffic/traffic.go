package traffic

import (
	"context"
	"fmt"

	"github.com/shipwave/shipwave/shared/release"
)

// Split is how a target's traffic is divided: Weight percent goes to
// Candidate and the rest to Stable. Weight 100 is the final switch (Candidate
// becomes the only version) and Weight 0 puts everything on Stable, which is
// what a rollback asks for.
type Split struct {
	Stable    string `json:"stable"`
	Candidate string `json:"candidate,omitempty"`
	Weight    int    `json:"weight"`
}

// Validate checks that s can be applied: Weight within 0–100, the version
// that gets traffic named, and two distinct versions for a partial split. It
// returns an ErrInvalid-kind error naming the bad field.
func (s Split) Validate() error {
	switch {
	case s.Weight < 0 || s.Weight > 100:
		return release.Errorf(release.ErrInvalid, "traffic split: weight %d is outside 0–100", s.Weight)
	case s.Weight < 100 && s.Stable == "":
		return release.Errorf(release.ErrInvalid, "traffic split: stable version is required for weight %d", s.Weight)
	case s.Weight > 0 && s.Candidate == "":
		return release.Errorf(release.ErrInvalid, "traffic split: candidate version is required for weight %d", s.Weight)
	case s.Weight > 0 && s.Weight < 100 && s.Stable == s.Candidate:
		return release.Errorf(release.ErrInvalid, "traffic split: stable and candidate are both %q", s.Stable)
	}
	return nil
}

// Settled returns the canonical form of s, the one Current reports: a split
// that sends all traffic to one version is {Stable: that version, Weight 0}.
func (s Split) Settled() Split {
	switch s.Weight {
	case 0:
		return Split{Stable: s.Stable}
	case 100:
		return Split{Stable: s.Candidate}
	}
	return s
}

// Same reports whether s and o route traffic identically.
func (s Split) Same(o Split) bool { return s.Settled() == o.Settled() }

// String describes the split for logs and error messages.
func (s Split) String() string {
	c := s.Settled()
	if c.Weight == 0 {
		return fmt.Sprintf("100%% on %s", c.Stable)
	}
	return fmt.Sprintf("%d%% on %s, %d%% on %s", 100-c.Weight, c.Stable, c.Weight, c.Candidate)
}

// Shifter moves traffic on one kind of target. This is the contract every
// implementation meets and the state machine's handlers rely on; consumers
// declare the subset they use.
type Shifter interface {
	// Prepare makes artifact ready to receive traffic on t without moving
	// any traffic, and returns the candidate version id to use in Splits.
	// Calling it again with the same artifact returns the same candidate.
	// It returns ErrInvalid for a target or artifact it cannot use,
	// ErrNotFound when the target or artifact does not exist and
	// ErrConflict when the target's live state does not allow it.
	Prepare(ctx context.Context, t release.Target, artifact string) (candidate string, err error)
	// Current reads the live split, in its Settled form. It returns
	// ErrNotFound when the target does not exist.
	Current(ctx context.Context, t release.Target) (Split, error)
	// Shift applies s. It returns ErrInvalid for a split that fails
	// Validate or names versions the target does not have (nothing is
	// changed then), ErrNotFound for a missing target and ErrConflict when
	// the target changed concurrently.
	Shift(ctx context.Context, t release.Target, s Split) error
	// Verify reads the live state back and returns an ErrConflict-kind
	// error describing the difference unless it routes as s does.
	Verify(ctx context.Context, t release.Target, s Split) error
	// Serving returns nil when version is alive and able to take t's
	// traffic: weights alone say nothing about that. It returns an
	// ErrConflict-kind error saying why not (no live instance answers its
	// health probe, no healthy target in its group, the Lambda version is
	// not Active) and ErrNotFound for a version t does not have.
	Serving(ctx context.Context, t release.Target, version string) error
}

// Mismatch returns the ErrConflict-kind error Verify implementations return
// when the live split of target differs from want.
func Mismatch(target string, live, want Split) error {
	return release.Errorf(release.ErrConflict, "verify %s: live traffic is %s, want %s", target, live, want)
}
