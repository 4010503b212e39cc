package fleet

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Resolution is the granularity of recorded metrics: a query's from and to
// are rounded down to a multiple of it.
const Resolution = 100 * time.Millisecond

// reservoirSize bounds the latency samples kept per Resolution bucket.
const reservoirSize = 512

// Datapoint aggregates the requests a service's proxy completed in [From, To).
type Datapoint struct {
	From, To time.Time
	// Requests counts completed requests.
	Requests int64
	// Errors counts 5xx responses, including the proxy's own 502s when an
	// instance is unreachable.
	Errors int64
	// latencies is a sample of request latencies, sorted.
	latencies []time.Duration
}

// ErrorRate returns the percentage (0–100) of requests answered with 5xx,
// or 0 without requests.
func (d Datapoint) ErrorRate() float64 {
	if d.Requests == 0 {
		return 0
	}
	return 100 * float64(d.Errors) / float64(d.Requests)
}

// Percentile returns the p-th percentile (0–100] of the latency sample, by
// nearest rank, or 0 without requests.
func (d Datapoint) Percentile(p float64) time.Duration {
	n := len(d.latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return d.latencies[rank-1]
}

// Latencies returns a copy of the latency sample, sorted: every request's
// latency while a Resolution bucket holds at most 512 requests per version,
// a uniform reservoir sample of them beyond.
func (d Datapoint) Latencies() []time.Duration { return slices.Clone(d.latencies) }

// Samples returns how many latencies the percentiles are computed from.
func (d Datapoint) Samples() int { return len(d.latencies) }

type bucket struct {
	requests, errors int64
	latencies        []time.Duration
}

// series holds one service's metrics per version and bucket.
type series struct {
	mu        sync.Mutex
	retention time.Duration
	rng       *rand.Rand
	versions  map[string]map[int64]*bucket
	oldest    int64
}

func newSeries(retention time.Duration, seed uint64) *series {
	return &series{retention: retention, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), versions: map[string]map[int64]*bucket{}}
}

func bucketOf(t time.Time) int64 { return t.UnixNano() / int64(Resolution) }

// record adds one completed request.
func (s *series) record(version string, at time.Time, status int, latency time.Duration) {
	k := bucketOf(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := s.versions[version]
	if bs == nil {
		bs = map[int64]*bucket{}
		s.versions[version] = bs
	}
	b := bs[k]
	if b == nil {
		b = &bucket{}
		bs[k] = b
		s.prune(k)
	}
	b.requests++
	if status >= 500 {
		b.errors++
	}
	if len(b.latencies) < reservoirSize {
		b.latencies = append(b.latencies, latency)
	} else if j := s.rng.Int64N(b.requests); j < reservoirSize {
		b.latencies[j] = latency
	}
}

// prune drops buckets older than the retention, at most once per second.
func (s *series) prune(now int64) {
	keep := now - int64(s.retention/Resolution)
	if keep-s.oldest < int64(time.Second/Resolution) {
		return
	}
	for v, bs := range s.versions {
		for k := range bs {
			if k < keep {
				delete(bs, k)
			}
		}
		if len(bs) == 0 {
			delete(s.versions, v)
		}
	}
	s.oldest = keep
}

// datapoint merges version's buckets in [from, to); version "" merges all.
func (s *series) datapoint(version string, from, to time.Time) Datapoint {
	d := Datapoint{From: from, To: to}
	lo, hi := bucketOf(from), bucketOf(to)
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, bs := range s.versions {
		if version != "" && v != version {
			continue
		}
		merge(&d, bs, lo, hi)
	}
	slices.Sort(d.latencies)
	return d
}

// byVersion returns a datapoint per version with requests in [from, to).
func (s *series) byVersion(from, to time.Time) map[string]Datapoint {
	lo, hi := bucketOf(from), bucketOf(to)
	out := map[string]Datapoint{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, bs := range s.versions {
		d := Datapoint{From: from, To: to}
		merge(&d, bs, lo, hi)
		if d.Requests > 0 {
			slices.Sort(d.latencies)
			out[v] = d
		}
	}
	return out
}

func merge(d *Datapoint, bs map[int64]*bucket, lo, hi int64) {
	if hi-lo > int64(len(bs)) {
		for k, b := range bs {
			if k >= lo && k < hi {
				add(d, b)
			}
		}
		return
	}
	for k := lo; k < hi; k++ {
		if b := bs[k]; b != nil {
			add(d, b)
		}
	}
}

func add(d *Datapoint, b *bucket) {
	d.Requests += b.requests
	d.Errors += b.errors
	d.latencies = append(d.latencies, b.latencies...)
}

// NewDatapoint returns a Datapoint with the given counts and latency sample,
// for metric sources other than the proxy and for tests.
func NewDatapoint(from, to time.Time, requests, errors int64, latencies ...time.Duration) Datapoint {
	l := slices.Clone(latencies)
	slices.Sort(l)
	return Datapoint{From: from, To: to, Requests: requests, Errors: errors, latencies: l}
}
