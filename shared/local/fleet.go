package local

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic/localproxy"
)

// Fleet is the local fleet: for each service, instances of the demo service
// behind a weighted reverse proxy that the local traffic shifter drives.
type Fleet interface {
	localproxy.Proxy
	// AddService starts a service's proxy and instances of artifact with
	// 100% of traffic on it, and returns the proxy's base URL.
	AddService(ctx context.Context, name string, instances int, artifact string) (endpoint string, err error)
	// CandidateRequests counts requests the candidate served since a time
	// (control.Requests).
	CandidateRequests(ctx context.Context, t release.Target, candidate string, since time.Time) (int64, error)
	// StartTraffic sends steady background traffic through a service's
	// proxy, so its alarms have data.
	StartTraffic(service string, rps int) error
	// Close stops every process of the fleet.
	Close() error
}

// AlarmEngine evaluates the local metric alarms over the fleet's traffic.
type AlarmEngine interface {
	alarms.Source
	// WaitReady returns once every alarm has enough data to leave
	// INSUFFICIENT_DATA, or ctx ends.
	WaitReady(ctx context.Context) error
	// Close stops evaluating.
	Close() error
}

// FleetSetup is what a FleetFactory gets to build a fleet and its alarms.
type FleetSetup struct {
	// Binary is the shipwave executable the fleet runs as the demo service.
	Binary string
	// Pipelines are the pipelines of the stack's specs; alarms are derived
	// from the names they watch.
	Pipelines []release.Pipeline
	// OnAlarm receives every alarm state change as its EventBridge event.
	OnAlarm func(events.CloudWatchEvent)
	// TimeScale shortens alarm periods (1 = real time).
	TimeScale float64
	Logger    *slog.Logger
}

// FleetFactory builds the fleet and the alarms watching it.
type FleetFactory func(ctx context.Context, s FleetSetup) (Fleet, AlarmEngine, error)

// scopedFleet limits a pushed fault to the services of one stage: it
// launches the artifact without its faults on the other services, so a
// regression can show only under production traffic.
type scopedFleet struct {
	Fleet
	s *Stack
}

// Launch implements localproxy.Proxy.
func (f scopedFleet) Launch(ctx context.Context, service, artifact string) (string, error) {
	f.s.mu.Lock()
	stage, scoped := f.s.scopes[artifact]
	sv := f.s.services[service]
	f.s.mu.Unlock()
	if scoped && sv != nil && sv.Stage != stage {
		artifact, _, _ = strings.Cut(artifact, "+")
	}
	return f.Fleet.Launch(ctx, service, artifact)
}
