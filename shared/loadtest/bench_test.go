package loadtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkRateLoop measures the generator's own cost per request (pacing,
// dispatch, timeout, classification, recording) with a transport that
// answers in-process, so the network is not in the number. It schedules b.N
// requests at a rate beyond what the generator can send, so the loop never
// idles: ns/op is wall time per scheduled request, ns/sent the wall time per
// request actually sent (the generator's ceiling is 1e9/ns-per-sent rps per
// process), and dropped/op how many hit the in-flight cap.
func BenchmarkRateLoop(b *testing.B) {
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
	})}
	const rps = 2_000_000
	hold := time.Duration(b.N) * time.Second / rps
	if hold < time.Millisecond {
		hold = time.Millisecond
	}
	b.ReportAllocs()
	b.ResetTimer()
	r, err := Run(context.Background(), Config{URL: "http://bench.invalid/", Mode: ModeRate, RPS: rps, HoldFor: hold, Client: client, MaxInFlight: 10_000})
	b.StopTimer()
	elapsed := b.Elapsed()
	if err != nil {
		b.Fatal(err)
	}
	if r.Counts.Attempts() == 0 {
		b.Fatal("no requests attempted")
	}
	b.ReportMetric(float64(r.Counts.Dropped)/float64(r.Counts.Attempts()), "dropped/op")
	if r.Counts.Requests > 0 {
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(r.Counts.Requests), "ns/sent")
	}
}
