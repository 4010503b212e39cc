package loadtest

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
)

var t0 = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

// resultOf builds a valid result of task whose hold window saw one 2xx
// response per latency, plus extra failed outcomes in failed.
func resultOf(tb testing.TB, task int, latencies []time.Duration, failed Counts) Result {
	tb.Helper()
	r := Result{
		RunID:     "run-1",
		Task:      task,
		Tasks:     1,
		Mode:      ModeRate,
		Start:     t0.Add(time.Duration(task) * time.Second),
		HoldStart: t0.Add(time.Duration(task)*time.Second + 10*time.Second),
		Hold:      time.Minute,
		End:       t0.Add(time.Duration(task)*time.Second + 75*time.Second),
		Warmup:    Counts{Requests: 3, OK: 3},
		Counts:    failed,
	}
	r.Counts.OK += int64(len(latencies))
	r.Counts.Requests = r.Counts.OK + r.Counts.Redirect + r.Counts.ClientError + r.Counts.ServerError +
		r.Counts.OtherStatus + r.Counts.Transport + r.Counts.Timeouts
	for _, l := range latencies {
		r.Latency.Record(l)
	}
	// Failed requests took time too; give them 1ms each.
	for range r.Counts.Requests - int64(len(latencies)) {
		r.Latency.Record(time.Millisecond)
	}
	if err := r.Validate(); err != nil {
		tb.Fatalf("resultOf builds an invalid result: %v", err)
	}
	return r
}

func randomLatencies(rng *rand.Rand, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		// Log-uniform-ish from 100µs to ~10s, plus an occasional outlier past 60s.
		out[i] = time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))
		if rng.IntN(500) == 0 {
			out[i] = 90 * time.Second
		}
	}
	return out
}

func TestMergeEqualsOneHistogramOfAllSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var parts []Result
	var all Histogram
	for task, n := range []int{5000, 1, 0, 12345} {
		lat := randomLatencies(rng, n)
		for _, l := range lat {
			all.Record(l)
		}
		r := resultOf(t, task, lat, Counts{})
		// Through JSON, as the aggregator sees it.
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal task %d: %v", task, err)
		}
		back, err := DecodeResult(data)
		if err != nil {
			t.Fatalf("decode task %d: %v", task, err)
		}
		parts = append(parts, back)
	}
	got, err := Merge(parts...)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if !got.Latency.Equal(all) {
		t.Errorf("merged histogram differs from one histogram of all samples: got count %d p99 %v, want count %d p99 %v",
			got.Latency.Count(), got.Latency.Quantile(0.99), all.Count(), all.Quantile(0.99))
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		if g, w := got.Latency.Quantile(q), all.Quantile(q); g != w {
			t.Errorf("q%v: got %v, want %v", q, g, w)
		}
	}
	if got.Task != -1 || got.Tasks != 4 {
		t.Errorf("got task %d tasks %d, want -1 and 4", got.Task, got.Tasks)
	}
	if want := int64(5000 + 1 + 12345); got.Counts.Requests != want || got.Counts.OK != want {
		t.Errorf("got %d requests %d ok, want %d", got.Counts.Requests, got.Counts.OK, want)
	}
	if got.Warmup.Requests != 12 {
		t.Errorf("got %d warmup requests, want 12", got.Warmup.Requests)
	}
	if !got.Start.Equal(t0) || !got.End.Equal(t0.Add(78*time.Second)) || !got.HoldStart.Equal(t0.Add(10*time.Second)) {
		t.Errorf("got span %v..%v hold from %v, want %v..%v hold from %v", got.Start, got.End, got.HoldStart, t0, t0.Add(78*time.Second), t0.Add(10*time.Second))
	}
	if got.Hold != time.Minute {
		t.Errorf("got hold %v, want 1m0s (tasks run side by side)", got.Hold)
	}
}

func TestMergeDoesNotChangeInputs(t *testing.T) {
	a := resultOf(t, 0, []time.Duration{time.Millisecond}, Counts{})
	b := resultOf(t, 1, []time.Duration{time.Second}, Counts{})
	if _, err := Merge(a, b); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if a.Latency.Count() != 1 || a.Latency.Max() > 2*time.Millisecond {
		t.Errorf("input histogram changed: count %d max %v", a.Latency.Count(), a.Latency.Max())
	}
}

func TestMergeSumsFailures(t *testing.T) {
	a := resultOf(t, 0, nil, Counts{ServerError: 2, Dropped: 5})
	b := resultOf(t, 1, nil, Counts{Timeouts: 1, Transport: 3, ClientError: 4})
	got, err := Merge(a, b)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	want := Counts{Requests: 10, ServerError: 2, Timeouts: 1, Transport: 3, ClientError: 4, Dropped: 5}
	if got.Counts != want {
		t.Errorf("got %+v, want %+v", got.Counts, want)
	}
	if got.Counts.Errors() != 15 || got.Counts.Attempts() != 15 {
		t.Errorf("got %d errors of %d attempts, want 15 of 15", got.Counts.Errors(), got.Counts.Attempts())
	}
}

func TestMergeRejects(t *testing.T) {
	other := resultOf(t, 1, nil, Counts{})
	other.RunID = "run-2"
	conc := resultOf(t, 1, nil, Counts{})
	conc.Mode = ModeConcurrency
	broken := resultOf(t, 1, nil, Counts{})
	broken.Counts.Requests++
	tests := []struct {
		name    string
		in      []Result
		wantMsg string
	}{
		{name: "nothing", in: nil, wantMsg: "no results"},
		{name: "other run", in: []Result{resultOf(t, 0, nil, Counts{}), other}, wantMsg: `run "run-2"`},
		{name: "other mode", in: []Result{resultOf(t, 0, nil, Counts{}), conc}, wantMsg: `mode "concurrency"`},
		{name: "inconsistent counts", in: []Result{resultOf(t, 0, nil, Counts{}), broken}, wantMsg: "outcomes add up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.in...)
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want an invalid error containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestResultGolden(t *testing.T) {
	r := resultOf(t, 2, []time.Duration{150 * time.Microsecond, 3 * time.Millisecond, 42 * time.Millisecond, 2 * time.Second},
		Counts{ServerError: 1, Timeouts: 1, Dropped: 2})
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "result.golden.json")
	golden.Check(t, path, got)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeResult(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !back.Latency.Equal(r.Latency) || back.Counts != r.Counts || !back.HoldStart.Equal(r.HoldStart) {
		t.Errorf("golden does not decode to the result it was made from: got %+v, want %+v", back.Summary(), r.Summary())
	}
}

func encodedWithGeometry(tb testing.TB, lo, hi int64, digits int) string {
	tb.Helper()
	h := hdrhistogram.New(lo, hi, digits)
	if err := h.RecordValue(lo); err != nil {
		tb.Fatal(err)
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		tb.Fatal(err)
	}
	return string(enc)
}

func TestDecodeResultRejects(t *testing.T) {
	valid, err := json.Marshal(resultOf(t, 0, []time.Duration{time.Millisecond}, Counts{}))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(field string, value any) string {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		m[field] = value
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	tests := []struct {
		name    string
		in      string
		wantMsg string
	}{
		{name: "not json", in: "{", wantMsg: "decode result"},
		{name: "histogram not a string", in: edit("latency", 5), wantMsg: "want a base64 string"},
		{name: "histogram not base64", in: edit("latency", "!!!"), wantMsg: "bad base64"},
		{name: "histogram too short", in: edit("latency", "AAAA"), wantMsg: "too short"},
		{name: "other geometry", in: edit("latency", encodedWithGeometry(t, 1, 3_600_000_000, 2)), wantMsg: "geometry 1..3600000000 with 2 digits"},
		{name: "samples do not match requests", in: edit("counts", map[string]any{"requests": 2, "ok": 2}), wantMsg: "latency holds 1 samples for 2 requests"},
		{name: "outcomes do not add up", in: edit("counts", map[string]any{"requests": 1, "ok": 0}), wantMsg: "outcomes add up to 0"},
		{name: "negative count", in: edit("warmup", map[string]any{"requests": -1, "ok": -1}), wantMsg: "negative count"},
		{name: "bad mode", in: edit("mode", "burst"), wantMsg: `mode "burst"`},
		{name: "no tasks", in: edit("tasks", 0), wantMsg: "tasks is 0"},
		{name: "negative hold", in: edit("hold", -1), wantMsg: "hold -1ns is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeResult([]byte(tt.in))
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want an invalid error containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestHistogramClampsOutOfRange(t *testing.T) {
	var h Histogram
	h.Record(0)
	h.Record(-time.Second)
	h.Record(2 * time.Minute)
	if h.Count() != 3 {
		t.Fatalf("got %d samples, want 3", h.Count())
	}
	if got := h.Quantile(0); got != time.Microsecond {
		t.Errorf("got min %v, want 1µs", got)
	}
	if got := h.Max(); got < 59*time.Second || got > 61*time.Second {
		t.Errorf("got max %v, want about 60s", got)
	}
}

func FuzzDecodeResult(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed corpus in testdata/*.json: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"latency":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResult(data)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode a decoded result: %v", err)
		}
		back, err := DecodeResult(again)
		if err != nil {
			t.Fatalf("decode a re-encoded result: %v\n%s", err, again)
		}
		if back.Counts != r.Counts || back.Warmup != r.Warmup || !back.Latency.Equal(r.Latency) || back.Hold != r.Hold {
			t.Fatalf("round trip changed the result: got %+v, want %+v", back.Summary(), r.Summary())
		}
		if _, err := Merge(r, back); err != nil {
			t.Fatalf("a decoded result does not merge with itself: %v", err)
		}
	})
}
