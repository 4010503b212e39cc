package traffictest

import (
	"context"
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Artifact is the artifact the suite prepares. A new shifter must be able to
// prepare it as a candidate different from the version the target serves.
const Artifact = "shipwave-contract-build"

// UnknownVersion is a version id no target of the suite has; Serving must
// refuse it. Every implementation's version ids are either numbers,
// artifact names or ARNs, and this is none of them.
const UnknownVersion = "999999"

// NewFunc returns a fresh shifter and a target that serves 100% of its
// traffic on one stable version and is ready to prepare Artifact.
type NewFunc func(t *testing.T) (traffic.Shifter, release.Target)

// Run runs the contract suite; each subtest calls newShifter for fresh state.
func Run(t *testing.T, newShifter NewFunc) {
	t.Run("CurrentIsSettledOnStable", func(t *testing.T) {
		s, tg := newShifter(t)
		cur := current(t, s, tg)
		if cur.Stable == "" || cur.Weight != 0 || cur.Candidate != "" {
			t.Errorf("Current = %+v, want all traffic on one stable version", cur)
		}
	})

	t.Run("PrepareMovesNoTrafficAndIsIdempotent", func(t *testing.T) {
		s, tg := newShifter(t)
		before := current(t, s, tg)
		cand := prepare(t, s, tg)
		if cand == before.Stable {
			t.Fatalf("Prepare returned the stable version %q as candidate", cand)
		}
		if after := current(t, s, tg); after != before {
			t.Errorf("Current after Prepare = %+v, want unchanged %+v", after, before)
		}
		if again := prepare(t, s, tg); again != cand {
			t.Errorf("second Prepare = %q, want %q", again, cand)
		}
	})

	t.Run("ShiftStepsThenFinalSwitch", func(t *testing.T) {
		s, tg := newShifter(t)
		stable := current(t, s, tg).Stable
		cand := prepare(t, s, tg)
		for _, w := range []int{1, 10, 33, 50, 99} {
			want := traffic.Split{Stable: stable, Candidate: cand, Weight: w}
			shift(t, s, tg, want)
			if got := current(t, s, tg); got != want {
				t.Errorf("Current after Shift(%v) = %+v, want %+v", want, got, want)
			}
			if err := s.Verify(context.Background(), tg, want); err != nil {
				t.Errorf("Verify(%v) = %v, want nil", want, err)
			}
			other := want
			other.Weight = w%50 + 2
			if err := s.Verify(context.Background(), tg, other); !errors.Is(err, release.ErrConflict) {
				t.Errorf("Verify(%v) while live is %v = %v, want ErrConflict", other, want, err)
			}
		}
		final := traffic.Split{Stable: stable, Candidate: cand, Weight: 100}
		shift(t, s, tg, final)
		if got, want := current(t, s, tg), (traffic.Split{Stable: cand}); got != want {
			t.Errorf("Current after final switch = %+v, want %+v", got, want)
		}
		if err := s.Verify(context.Background(), tg, final); err != nil {
			t.Errorf("Verify(final) = %v, want nil", err)
		}
		if err := s.Verify(context.Background(), tg, traffic.Split{Stable: stable}); !errors.Is(err, release.ErrConflict) {
			t.Errorf("Verify(all on old stable) after final switch = %v, want ErrConflict", err)
		}
	})

	t.Run("ServingKnowsItsVersions", func(t *testing.T) {
		s, tg := newShifter(t)
		stable := current(t, s, tg).Stable
		if err := s.Serving(context.Background(), tg, stable); err != nil {
			t.Errorf("Serving(stable %s) = %v, want nil", stable, err)
		}
		cand := prepare(t, s, tg)
		if err := s.Serving(context.Background(), tg, cand); err != nil {
			t.Errorf("Serving(prepared candidate %s) = %v, want nil", cand, err)
		}
		if err := s.Serving(context.Background(), tg, UnknownVersion); err == nil {
			t.Errorf("Serving(%q) = nil, want an error for a version the target does not have", UnknownVersion)
		}
	})

	t.Run("RollbackPutsEverythingOnStable", func(t *testing.T) {
		s, tg := newShifter(t)
		stable := current(t, s, tg).Stable
		cand := prepare(t, s, tg)
		shift(t, s, tg, traffic.Split{Stable: stable, Candidate: cand, Weight: 25})
		back := traffic.Split{Stable: stable, Candidate: cand, Weight: 0}
		shift(t, s, tg, back)
		if got, want := current(t, s, tg), (traffic.Split{Stable: stable}); got != want {
			t.Errorf("Current after rollback = %+v, want %+v", got, want)
		}
		if err := s.Verify(context.Background(), tg, back); err != nil {
			t.Errorf("Verify(rollback) = %v, want nil", err)
		}
		// Rolling back twice is harmless: the state machine may retry.
		shift(t, s, tg, back)
		if err := s.Verify(context.Background(), tg, traffic.Split{Stable: stable}); err != nil {
			t.Errorf("Verify after second rollback = %v, want nil", err)
		}
	})

	t.Run("InvalidSplitsChangeNothing", func(t *testing.T) {
		s, tg := newShifter(t)
		stable := current(t, s, tg).Stable
		cand := prepare(t, s, tg)
		live := traffic.Split{Stable: stable, Candidate: cand, Weight: 20}
		shift(t, s, tg, live)
		for _, bad := range []traffic.Split{
			{Stable: stable, Candidate: cand, Weight: -1},
			{Stable: stable, Candidate: cand, Weight: 101},
			{Stable: stable, Candidate: stable, Weight: 50},
			{Stable: stable, Weight: 30},
			{Stable: stable, Candidate: "no-such-version-42", Weight: 30},
		} {
			if err := s.Shift(context.Background(), tg, bad); !errors.Is(err, release.ErrInvalid) && !errors.Is(err, release.ErrNotFound) {
				t.Errorf("Shift(%+v) = %v, want ErrInvalid or ErrNotFound", bad, err)
			}
			if got := current(t, s, tg); got != live {
				t.Fatalf("Current after rejected Shift(%+v) = %+v, want unchanged %+v", bad, got, live)
			}
		}
	})

	t.Run("MissingTargetIsNotFound", func(t *testing.T) {
		s, tg := newShifter(t)
		missing := missingTarget(tg)
		if _, err := s.Current(context.Background(), missing); !errors.Is(err, release.ErrNotFound) {
			t.Errorf("Current(missing target) = %v, want ErrNotFound", err)
		}
	})
}

// missingTarget returns tg changed to name things that do not exist.
func missingTarget(tg release.Target) release.Target {
	const gone = "shipwave-missing"
	switch tg.Type {
	case release.TargetLambdaAlias:
		tg.Alias = gone
	case release.TargetECSBlueGreen:
		tg.ListenerARN += "-" + gone
		if tg.RuleARN != "" {
			tg.RuleARN += "-" + gone
		}
	default:
		tg.Name = gone
		tg.Service = gone
	}
	return tg
}

func current(t *testing.T, s traffic.Shifter, tg release.Target) traffic.Split {
	t.Helper()
	cur, err := s.Current(context.Background(), tg)
	if err != nil {
		t.Fatalf("Current(%s): %v", tg.Name, err)
	}
	return cur
}

func prepare(t *testing.T, s traffic.Shifter, tg release.Target) string {
	t.Helper()
	cand, err := s.Prepare(context.Background(), tg, Artifact)
	if err != nil {
		t.Fatalf("Prepare(%s, %s): %v", tg.Name, Artifact, err)
	}
	if cand == "" {
		t.Fatalf("Prepare(%s, %s) returned no candidate", tg.Name, Artifact)
	}
	return cand
}

func shift(t *testing.T, s traffic.Shifter, tg release.Target, sp traffic.Split) {
	t.Helper()
	if err := s.Shift(context.Background(), tg, sp); err != nil {
		t.Fatalf("Shift(%s, %+v): %v", tg.Name, sp, err)
	}
}
