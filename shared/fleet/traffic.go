package fleet

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// maxInFlight bounds a generator's concurrent requests; ticks beyond it are
// dropped (and counted) rather than queued, so a slow version cannot pile
// up goroutines.
const maxInFlight = 64

// generator sends steady GET / traffic to a service's proxy.
type generator struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	sent    atomic.Int64
	dropped atomic.Int64
	started int64 // requests started; the ticking goroutine's own
}

// StartTraffic starts a background generator sending rps GET / requests per
// second (wall-clock time: this is real traffic) to the proxy, replacing any
// running one. It returns ErrInvalid for rps outside 1–10000.
func (s *Service) StartTraffic(rps int) error {
	if rps < 1 || rps > 10000 {
		return release.Errorf(release.ErrInvalid, "traffic for %s: rps %d is outside 1–10000", s.name, rps)
	}
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	s.stopTrafficLocked()
	s.gen = startGenerator(s.Endpoint()+"/", rps, nil, time.Time{})
	return nil
}

// startGenerator sends rps GET requests per second to url, with the
// headers header returns for the n-th request (nil: none), until stopped or,
// unless until is zero, until then.
func startGenerator(url string, rps int, header func(n int64) http.Header, until time.Time) *generator {
	ctx, cancel := context.WithCancel(context.Background())
	if !until.IsZero() {
		ctx, cancel = context.WithDeadline(context.Background(), until)
	}
	g := &generator{cancel: cancel}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxInFlight}}
	sem := make(chan struct{}, maxInFlight)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer client.CloseIdleConnections()
		t := time.NewTicker(time.Second / time.Duration(rps))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			select {
			case sem <- struct{}{}:
			default:
				g.dropped.Add(1)
				continue
			}
			n := g.started
			g.started++
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				defer func() { <-sem }()
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					return
				}
				if header != nil {
					for k, v := range header(n) {
						req.Header[k] = v
					}
				}
				resp, err := client.Do(req)
				g.sent.Add(1)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
	}()
	return g
}

// StopTraffic stops the background generator, if any, and waits for its
// requests to end.
func (s *Service) StopTraffic() {
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	s.stopTrafficLocked()
}

func (s *Service) stopTrafficLocked() {
	g := s.gen
	s.gen = nil
	if g != nil {
		g.cancel()
		g.wg.Wait()
	}
}
