package fleet

import (
	"testing"
	"time"
)

func TestSeriesRetentionAndReservoir(t *testing.T) {
	s := newSeries(10*time.Second, 1)
	t0 := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	for i := range 2000 {
		s.record("v1", t0, 200+300*(i%2), time.Duration(i)*time.Microsecond)
	}
	d := s.datapoint("v1", t0, t0.Add(Resolution))
	if d.Requests != 2000 || d.Errors != 1000 || d.Samples() != reservoirSize {
		t.Errorf("bucket: %d requests, %d errors, %d samples; want 2000, 1000, %d", d.Requests, d.Errors, d.Samples(), reservoirSize)
	}
	// A request a minute later prunes everything beyond the retention.
	later := t0.Add(time.Minute)
	s.record("v2", later, 200, time.Millisecond)
	if d := s.datapoint("", t0, later.Add(Resolution)); d.Requests != 1 {
		t.Errorf("after retention: %d requests, want only the new one", d.Requests)
	}
	if by := s.byVersion(t0, later.Add(Resolution)); len(by) != 1 || by["v2"].Requests != 1 {
		t.Errorf("byVersion after retention = %+v, want v2 only", by)
	}
}

func TestPickCandidateIsExact(t *testing.T) {
	for w := 0; w <= 100; w++ {
		for _, start := range []uint64{0, 37, 1 << 40} {
			n := 0
			for i := range uint64(100) {
				if pickCandidate(start+i, w) {
					n++
				}
			}
			if n != w {
				t.Errorf("weight %d from %d: %d of 100 to the candidate", w, start, n)
			}
		}
	}
}
