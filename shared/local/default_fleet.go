package local

import (
	"context"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/shipwave/shipwave/shared/fleet"
	"github.com/shipwave/shipwave/shared/metricalarms"
)

// DefaultFleet builds the local fleet of demo-service processes
// (shared/fleet) and the local metric alarms watching it
// (shared/metricalarms, definitions derived from the alarm names the
// pipelines watch).
func DefaultFleet(ctx context.Context, s FleetSetup) (Fleet, AlarmEngine, error) {
	byName := map[string]metricalarms.Alarm{}
	for _, p := range s.Pipelines {
		as, err := metricalarms.DefaultAlarms(p)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range as {
			if prev, ok := byName[a.Name]; ok {
				a.Services = append(prev.Services, a.Services...)
				sort.Strings(a.Services)
			}
			byName[a.Name] = a
		}
	}
	var defs []metricalarms.Alarm
	for _, a := range byName {
		defs = append(defs, a)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	f := fleet.New(fleet.Config{Binary: s.Binary, Logger: s.Logger, BaseLatency: BaseLatency})
	eng, err := metricalarms.New(metricalarms.Config{
		Alarms: defs, Metrics: f, OnChange: s.OnAlarm, Account: Account, Region: Region, Logger: s.Logger,
	})
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := eng.Start(actx); err != nil {
		cancel()
		_ = f.Close()
		return nil, nil, err
	}
	return fleetAdapter{f}, &alarmAdapter{Engine: eng, cancel: cancel}, nil
}

// fleetAdapter gives *fleet.Fleet the stack's Fleet shape.
type fleetAdapter struct{ *fleet.Fleet }

// AddService implements Fleet.
func (a fleetAdapter) AddService(ctx context.Context, name string, instances int, artifact string) (string, error) {
	svc, err := a.Fleet.AddService(ctx, name, instances, artifact)
	if err != nil {
		return "", err
	}
	return svc.Endpoint(), nil
}

// alarmAdapter stops the metric alarms' loop on Close.
type alarmAdapter struct {
	*metricalarms.Engine
	cancel context.CancelFunc
}

// Close implements AlarmEngine.
func (a *alarmAdapter) Close() error {
	a.cancel()
	<-a.Engine.Done()
	return nil
}

// Launch implements localproxy.Proxy: it launches the artifact and warms
// its new instances up with a few requests sent straight to them (not
// through the proxy, so the alarms' metrics do not see them), so that a
// cold process's first slow answers are not taken for a latency regression.
func (a fleetAdapter) Launch(ctx context.Context, service, artifact string) (string, error) {
	v, err := a.Fleet.Launch(ctx, service, artifact)
	if err != nil {
		return v, err
	}
	svc, err := a.Fleet.Service(service)
	if err != nil {
		return v, nil
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, p := range svc.Processes() {
		if p.Version != v {
			continue
		}
		for range warmRequests {
			resp, err := client.Get("http://" + p.Addr + "/healthz")
			if err != nil {
				break
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	return v, nil
}

// Instances lists the addresses (host:port) of a version's instances.
func (a fleetAdapter) Instances(service, version string) []string {
	svc, err := a.Fleet.Service(service)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range svc.Processes() {
		if p.Version == version {
			out = append(out, p.Addr)
		}
	}
	return out
}

// BaseLatency is the default fleet's healthy per-request latency (the
// median of a lognormal, fleet.Config.BaseLatency): what a latency=+P%
// fault scales, so a version can be slower by a share no threshold alarm
// sees (+40% is 28 ms against a 400 ms p99 alarm) while canary analysis
// does.
const BaseLatency = 20 * time.Millisecond

// warmRequests is how many requests warm up each new instance.
const warmRequests = 20
