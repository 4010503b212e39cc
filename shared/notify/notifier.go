package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Store is what a Notifier reads and claims (*store.Store is one).
type Store interface {
	ListPipelines(ctx context.Context) ([]string, error)
	GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error)
	ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error)
	// GetRelease returns release.ErrNotFound for an unknown id.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (string, bool, error)
}

// Deliverer sends one message to one destination (*Sender is one).
type Deliverer interface {
	Send(ctx context.Context, dest string, m Message) error
}

// Notifier follows the event log of every pipeline with notify
// destinations and sends what it calls for: Run polls the log (the local
// stack), Announce is told of each new event (the AWS notify function, fed
// by the table's stream).
type Notifier struct {
	Store  Store
	Sender Deliverer
	Logger *slog.Logger
	// Since: events before it are history and announce nothing.
	Since time.Time
	// Every is how often the log is read (default 1s).
	Every time.Duration
	// Attempts per delivery (default 4), the first retry after Backoff
	// (default 500ms), doubling.
	Attempts int
	Backoff  time.Duration

	mu   sync.Mutex
	logs map[string][]release.Event // each followed release's events so far
	wg   sync.WaitGroup
}

// recent is how many of each pipeline's latest releases are followed.
const recent = 20

// claimTTL is how long a sent notification stays claimed.
const claimTTL = 30 * 24 * time.Hour

// Run follows the log until ctx ends, then waits for deliveries in flight
// (which ctx's end cancels).
func (n *Notifier) Run(ctx context.Context) {
	every := n.Every
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := n.Poll(ctx); err != nil && ctx.Err() == nil {
			n.log().Warn("notify: reading the event log failed; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			n.wg.Wait()
			return
		case <-tick.C:
		}
	}
}

// Poll reads what is new in the log once and starts its deliveries.
func (n *Notifier) Poll(ctx context.Context) error {
	names, err := n.Store.ListPipelines(ctx)
	if err != nil {
		return err
	}
	n.mu.Lock()
	if n.logs == nil {
		n.logs = map[string][]release.Event{}
	}
	n.mu.Unlock()
	for _, name := range names {
		sv, err := n.Store.GetSpec(ctx, name, 0)
		if err != nil {
			return fmt.Errorf("notify: spec of %s: %w", name, err)
		}
		dests := sv.Parsed.Notify
		if len(dests) == 0 {
			continue
		}
		rs, _, err := n.Store.ListReleases(ctx, name, recent, "")
		if err != nil {
			return fmt.Errorf("notify: releases of %s: %w", name, err)
		}
		for _, r := range rs {
			if err := n.follow(ctx, r, dests); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *Notifier) follow(ctx context.Context, r release.Release, dests []string) error {
	n.mu.Lock()
	log := n.logs[r.ID]
	n.mu.Unlock()
	var after int64
	if len(log) > 0 {
		after = log[len(log)-1].Seq
	}
	for {
		evs, err := n.Store.Events(ctx, r.ID, after, 500)
		if err != nil {
			return fmt.Errorf("notify: events of %s: %w", r.ID, err)
		}
		for _, ev := range evs {
			log = append(log, ev)
			after = ev.Seq
			if ev.Time.Before(n.Since) {
				continue
			}
			m, ok := Of(r, ev, log)
			if !ok {
				continue
			}
			if err := n.deliver(ctx, dests, m, &n.wg); err != nil {
				n.log().Warn("notify: claim failed; not sent", "releaseId", m.ReleaseID, "kind", m.Kind, "error", err.Error())
			}
		}
		if len(evs) < 500 {
			break
		}
	}
	n.mu.Lock()
	n.logs[r.ID] = log
	n.mu.Unlock()
	return nil
}

// Announce sends what event seq of release releaseID calls for to each
// destination of its pipeline's latest spec, and returns once every
// delivery has been sent or has given up (retried with backoff, then
// logged). It returns an error only when the release, its spec or its log
// cannot be read, or a delivery cannot be claimed, so the caller may try
// again: a delivery claimed once is never sent twice. A release or event that is not there announces
// nothing.
func (n *Notifier) Announce(ctx context.Context, releaseID string, seq int64) error {
	r, err := n.Store.GetRelease(ctx, releaseID)
	if errors.Is(err, release.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: release %s: %w", releaseID, err)
	}
	sv, err := n.Store.GetSpec(ctx, r.Pipeline, 0)
	if errors.Is(err, release.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: spec of %s: %w", r.Pipeline, err)
	}
	dests := sv.Parsed.Notify
	if len(dests) == 0 {
		return nil
	}
	var log []release.Event
	for after := int64(0); after < seq; {
		evs, err := n.Store.Events(ctx, releaseID, after, 500)
		if err != nil {
			return fmt.Errorf("notify: events of %s: %w", releaseID, err)
		}
		for _, ev := range evs {
			if ev.Seq <= seq {
				log = append(log, ev)
			}
			after = ev.Seq
		}
		if len(evs) < 500 {
			break
		}
	}
	if len(log) == 0 || log[len(log)-1].Seq != seq || log[len(log)-1].Time.Before(n.Since) {
		return nil
	}
	m, ok := Of(r, log[len(log)-1], log)
	if !ok {
		return nil
	}
	var wg sync.WaitGroup
	err = n.deliver(ctx, dests, m, &wg)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("notify: release %s event %d: %w", releaseID, seq, err)
	}
	return nil
}

// deliver claims (event, destination) for each destination and sends what
// it claimed in the background on wg, retrying; a claimed message is never
// sent twice. The error joins the claims that failed (nothing was sent to
// those destinations; claiming again may).
func (n *Notifier) deliver(ctx context.Context, dests []string, m Message, wg *sync.WaitGroup) error {
	var errs []error
	for _, d := range dests {
		sum := sha256.Sum256([]byte(d))
		key := fmt.Sprintf("notify:%s:%d:%s", m.ReleaseID, m.Seq, hex.EncodeToString(sum[:8]))
		_, claimed, err := n.Store.ClaimIdempotencyKey(ctx, key, string(m.Kind), claimTTL)
		if err != nil {
			errs = append(errs, fmt.Errorf("claim %s: %w", m.Kind, err))
			continue
		}
		if claimed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.send(ctx, d, m)
			}()
		}
	}
	return errors.Join(errs...)
}

// send delivers a claimed message, retrying with backoff; what still fails
// is logged.
func (n *Notifier) send(ctx context.Context, dest string, m Message) {
	attempts, backoff := n.Attempts, n.Backoff
	if attempts <= 0 {
		attempts = 4
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	var err error
	for i := range attempts {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = n.Sender.Send(sctx, dest, m)
		cancel()
		if err == nil {
			return
		}
		if i == attempts-1 {
			break
		}
		t := time.NewTimer(backoff << i)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	n.log().Warn("notify: not delivered", "releaseId", m.ReleaseID, "kind", m.Kind, "attempts", attempts, "error", err.Error())
}

func (n *Notifier) log() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.New(slog.DiscardHandler)
}
