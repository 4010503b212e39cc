package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Run generates the load cfg describes and returns what it measured: a
// linear ramp-up (of the rate, or of the number of workers) over
// cfg.RampUp, then cfg.HoldFor at full load, then it waits for outstanding
// requests. Failed requests are counted in the Result, never returned as
// errors. Run returns an error matching release.ErrInvalid for a bad Config;
// if ctx ends early it returns the partial Result, marked Interrupted, with
// an error wrapping ctx.Err().
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	tmpl, err := http.NewRequest(http.MethodGet, cfg.URL, nil)
	if err != nil {
		return Result{}, fmt.Errorf("build request for %s: %w", cfg.URL, err)
	}
	tmpl.Header.Set("User-Agent", "shipwave-loadgen")
	g := &generator{cfg: cfg, tmpl: tmpl}

	start := cfg.Clock.Now()
	holdStart := start.Add(cfg.RampUp)
	holdEnd := holdStart.Add(cfg.HoldFor)
	switch cfg.Mode {
	case ModeRate:
		g.runRate(ctx, start)
	case ModeConcurrency:
		g.runConcurrency(ctx, start, holdStart, holdEnd)
	}
	g.wg.Wait()
	end := cfg.Clock.Now()

	g.mu.Lock()
	defer g.mu.Unlock()
	r := Result{
		RunID:     cfg.RunID,
		Task:      cfg.Task,
		Tasks:     1,
		Mode:      cfg.Mode,
		Start:     start,
		End:       end,
		HoldStart: holdStart,
		Hold:      cfg.HoldFor,
		Warmup:    g.warmup,
		Counts:    g.hold,
		Latency:   g.latency,
	}
	if err := ctx.Err(); err != nil && end.Before(holdEnd) {
		r.Interrupted = true
		r.Hold = max(0, min(cfg.HoldFor, end.Sub(holdStart)))
		return r, fmt.Errorf("load test %s task %d interrupted: %w", cfg.RunID, cfg.Task, err)
	}
	return r, nil
}

// generator is the state of one Run.
type generator struct {
	cfg      Config
	tmpl     *http.Request
	wg       sync.WaitGroup
	inFlight atomic.Int64

	mu      sync.Mutex
	warmup  Counts
	hold    Counts
	latency Histogram
}

// runRate is the open model. Request k is due when the cumulative number of
// requests of a rate ramping linearly from 0 to RPS over RampUp, then
// holding at RPS, reaches k; due times are computed from the start, not from
// the previous send, so lateness never accumulates.
func (g *generator) runRate(ctx context.Context, start time.Time) {
	rps := g.cfg.RPS
	ramp := g.cfg.RampUp.Seconds()
	total := ramp + g.cfg.HoldFor.Seconds()
	rampN := rps * ramp / 2 // requests sent during the ramp
	limit := int64(g.cfg.MaxInFlight)
	for k := 0.0; ; k++ {
		var off float64
		if k < rampN {
			off = math.Sqrt(2 * ramp * k / rps)
		} else {
			off = ramp + (k-rampN)/rps
		}
		if off >= total {
			return
		}
		due := start.Add(time.Duration(off * float64(time.Second)))
		if g.cfg.Clock.SleepUntil(ctx, due) != nil {
			return
		}
		inHold := k >= rampN
		if g.inFlight.Add(1) > limit {
			g.inFlight.Add(-1)
			g.drop(inHold)
			continue
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer g.inFlight.Add(-1)
			g.send(ctx, due, inHold)
		}()
	}
}

// runConcurrency is the closed model: worker i starts at i/Concurrency of the
// ramp-up and sends requests back to back until the hold window ends.
func (g *generator) runConcurrency(ctx context.Context, start, holdStart, holdEnd time.Time) {
	n := g.cfg.Concurrency
	for i := range n {
		at := start.Add(g.cfg.RampUp * time.Duration(i) / time.Duration(n))
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if g.cfg.Clock.SleepUntil(ctx, at) != nil {
				return
			}
			for ctx.Err() == nil {
				now := g.cfg.Clock.Now()
				if !now.Before(holdEnd) {
					return
				}
				g.send(ctx, now, !now.Before(holdStart))
			}
		}()
	}
}

// send makes one request and records its outcome and its latency from sent,
// the time it was due.
func (g *generator) send(ctx context.Context, sent time.Time, inHold bool) {
	rctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	resp, err := g.cfg.Client.Do(g.tmpl.WithContext(rctx))
	status := 0
	if err == nil {
		status = resp.StatusCode
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	latency := g.cfg.Clock.Now().Sub(sent)
	if err != nil && ctx.Err() != nil {
		return // cut short by the end of the run, not by the target
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c := &g.warmup
	if inHold {
		c = &g.hold
		g.latency.Record(latency)
	}
	c.Requests++
	switch {
	case err != nil && isTimeout(err):
		c.Timeouts++
	case err != nil:
		c.Transport++
	case status >= 200 && status < 300:
		c.OK++
	case status >= 300 && status < 400:
		c.Redirect++
	case status >= 400 && status < 500:
		c.ClientError++
	case status >= 500 && status < 600:
		c.ServerError++
	default:
		c.OtherStatus++
	}
}

func (g *generator) drop(inHold bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if inHold {
		g.hold.Dropped++
	} else {
		g.warmup.Dropped++
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
