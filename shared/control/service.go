package control

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/analysis"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// Releases reads and moves releases and their specs.
type Releases interface {
	// GetRelease returns ErrNotFound for an unknown id.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	// GetSpec returns the spec version (0 = latest); ErrNotFound if absent.
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
	// TransitionRelease returns ErrConflict when the move is not allowed or
	// lost a race.
	TransitionRelease(ctx context.Context, id string, to release.Status, reason string) (release.Release, error)
	// ActiveReleases lists a pipeline's non-terminal releases, oldest first.
	ActiveReleases(ctx context.Context, pipeline string) ([]release.Release, error)
}

// EventLog is a release's append-only log.
type EventLog interface {
	AppendEvent(ctx context.Context, ev release.Event) (release.Event, error)
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
}

// Locks are target leases.
type Locks interface {
	// AcquireLock returns ErrLocked while another owner's lease is live; it
	// renews a lease owner holds (same fence) and takes a free or expired
	// one with a higher fence.
	AcquireLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error)
	// RenewLock returns ErrLocked when another owner holds it, ErrNotFound
	// when it is free and ErrExpired when owner's lease ran out.
	RenewLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error)
	// ReleaseLock returns ErrNotFound when owner does not hold it (so each
	// acquisition is released once) and ErrLocked when another owner does.
	ReleaseLock(ctx context.Context, target, owner string) error
}

// Tokens are stored task tokens.
type Tokens interface {
	PutTaskToken(ctx context.Context, tok release.TaskToken) error
	TokensByRelease(ctx context.Context, releaseID string) ([]release.TaskToken, error)
	TokensByAlarm(ctx context.Context, alarm string) ([]release.TaskToken, error)
	// DeleteTaskToken returns ErrNotFound when someone else deleted it first.
	DeleteTaskToken(ctx context.Context, token string) error
}

// Targets stores what each target serves.
type Targets interface {
	// GetTargetState returns ErrNotFound for a target never deployed.
	GetTargetState(ctx context.Context, target string) (release.TargetState, error)
	// SwapTargetState writes next only if the stored state is still prev
	// (same phase, owner and update time; prev.Phase "" means none is
	// stored), and returns ErrConflict otherwise: exactly one of several
	// writers that read the same prev wins.
	SwapTargetState(ctx context.Context, prev, next release.TargetState) error
}

// Store is everything the handlers keep in DynamoDB; *store.Store is one.
type Store interface {
	Releases
	EventLog
	Locks
	Tokens
	Targets
}

// Shifter moves traffic on one target (see package traffic).
type Shifter interface {
	Prepare(ctx context.Context, t release.Target, artifact string) (string, error)
	Current(ctx context.Context, t release.Target) (traffic.Split, error)
	Shift(ctx context.Context, t release.Target, s traffic.Split) error
	Verify(ctx context.Context, t release.Target, s traffic.Split) error
	// Serving returns nil when version is alive and able to serve t's
	// traffic (live instances that answer a health probe, healthy targets
	// in its target group, an Active Lambda version).
	Serving(ctx context.Context, t release.Target, version string) error
}

// Alarms reads alarm states (alarms.Source): a name missing from the
// result does not exist.
type Alarms interface {
	States(ctx context.Context, names []string) (map[string]alarms.State, error)
}

// Hooks runs pre- and post-traffic hooks (*runner.Runner of shared/hooks/runner is one); a non-nil
// error means the hook did not pass.
type Hooks interface {
	Run(ctx context.Context, h release.Hook, inv hooks.Invocation) error
}

// Requests counts the requests a target's candidate version served since a
// time, for bakes that need data and not just time.
type Requests interface {
	CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error)
}

// TaskCallbacks completes waiting tasks: Step Functions on AWS (shared/sfn),
// the embedded engine locally (shared/states). A decision on a task that
// already ended (it timed out first, was decided before, or never existed)
// is a release.ErrConflict error; an empty token or an output that is not
// JSON is release.ErrInvalid. shared/control/callbackstest is the contract
// suite both run.
type TaskCallbacks interface {
	SendTaskSuccess(ctx context.Context, token string, output []byte) error
	SendTaskFailure(ctx context.Context, token, errName, cause string) error
}

// Windows answers whether a pipeline's deploy windows are open; open=false
// comes with the time they next open.
type Windows interface {
	NextOpen(windows []release.Window, now time.Time) (time.Time, bool)
}

// Service holds the dependencies of every handler. Fields a handler does not
// use may be nil; each Lambda wires only what its handler needs.
type Service struct {
	Store Store
	// Creator creates the releases of break-glass restores (Restore).
	Creator   Creator
	Shifters  func(t release.Target) (Shifter, error)
	Alarms    Alarms
	Hooks     Hooks
	Requests  Requests
	Callbacks TaskCallbacks
	Windows   Windows
	// Analysis returns the metric source that canary analysis reads for a
	// target (shared/analysis: the local fleet's per-request samples,
	// CloudWatch per version or target group).
	Analysis func(t release.Target) (analysis.Source, error)
	Now      func() time.Time
	Logger   *slog.Logger

	// Synthetic sends synthetic requests to quiet canaries of analysis
	// steps that ask for them (nil: none are sent).
	Synthetic Synthetic
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// record appends an event to the release's log.
func (s *Service) record(ctx context.Context, ev release.Event) error {
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	if _, err := s.Store.AppendEvent(ctx, ev); err != nil {
		return fmt.Errorf("record %s for release %s: %w", ev.Type, ev.ReleaseID, err)
	}
	s.log().InfoContext(ctx, string(ev.Type), "releaseId", ev.ReleaseID, "stage", ev.Stage, "wave", ev.Wave, "target", ev.Target, "message", ev.Message)
	return nil
}

// WindowFunc adapts a function, such as schedule.NextOpen, to Windows.
type WindowFunc func(windows []release.Window, now time.Time) (time.Time, bool)

// NextOpen calls f.
func (f WindowFunc) NextOpen(windows []release.Window, now time.Time) (time.Time, bool) {
	return f(windows, now)
}

// AlarmFunc adapts a function to Alarms.
type AlarmFunc func(ctx context.Context, names []string) (map[string]alarms.State, error)

// States calls f.
func (f AlarmFunc) States(ctx context.Context, names []string) (map[string]alarms.State, error) {
	return f(ctx, names)
}

// HookFunc adapts a function to Hooks.
type HookFunc func(ctx context.Context, h release.Hook, inv hooks.Invocation) error

// Run calls f.
func (f HookFunc) Run(ctx context.Context, h release.Hook, inv hooks.Invocation) error {
	return f(ctx, h, inv)
}
