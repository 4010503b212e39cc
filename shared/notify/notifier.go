package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (string, bool, error)
}

// Deliverer sends one message to one destination (*Sender is one).
type Deliverer interface {
	Send(ctx context.Context, dest string, m Message) error
}

// Notifier follows the event log of every pipeline with notify
// destinations and sends what it calls for.
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
			for _, d := range dests {
				n.deliver(ctx, d, m)
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

// deliver claims (event, destination) and sends it in the background,
// retrying; a claimed message is never sent twice.
func (n *Notifier) deliver(ctx context.Context, dest string, m Message) {
	sum := sha256.Sum256([]byte(dest))
	key := fmt.Sprintf("notify:%s:%d:%s", m.ReleaseID, m.Seq, hex.EncodeToString(sum[:8]))
	if _, claimed, err := n.Store.ClaimIdempotencyKey(ctx, key, string(m.Kind), claimTTL); err != nil {
		n.log().Warn("notify: claim failed; not sent", "releaseId", m.ReleaseID, "kind", m.Kind, "error", err.Error())
		return
	} else if !claimed {
		return
	}
	attempts, backoff := n.Attempts, n.Backoff
	if attempts <= 0 {
		attempts = 4
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
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
	}()
}

func (n *Notifier) log() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.New(slog.DiscardHandler)
}
