package loadtest

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry: microseconds from 1µs to 60s with 3 significant digits.
// Every histogram has this geometry, so merges are exact.
const (
	lowestMicros  = 1
	highestMicros = 60_000_000
	sigFigs       = 3

	// maxEncodedLen bounds the base64 text accepted by UnmarshalJSON; a full
	// histogram of this geometry encodes to well under it.
	maxEncodedLen = 1 << 20
)

// Histogram is an HDR histogram of latencies at microsecond resolution
// (1µs–60s, 3 significant digits). The zero value is an empty histogram.
// It is not safe for concurrent use.
type Histogram struct {
	h *hdrhistogram.Histogram
}

func newHDR() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestMicros, highestMicros, sigFigs)
}

// Record adds one latency. Values below 1µs count as 1µs and values above
// 60s count as 60s, so no sample is ever lost.
func (h *Histogram) Record(d time.Duration) {
	if h.h == nil {
		h.h = newHDR()
	}
	us := d.Microseconds()
	if us < lowestMicros {
		us = lowestMicros
	}
	if us > highestMicros {
		us = highestMicros
	}
	// In range and positive by construction, so RecordValue cannot fail.
	_ = h.h.RecordValue(us)
}

// merge adds every sample of o to h.
func (h *Histogram) merge(o Histogram) error {
	if o.h == nil {
		return nil
	}
	if h.h == nil {
		h.h = newHDR()
	}
	if dropped := h.h.Merge(o.h); dropped != 0 {
		return fmt.Errorf("merge histograms: %d samples out of range", dropped)
	}
	return nil
}

// Count returns the number of samples recorded.
func (h Histogram) Count() int64 {
	if h.h == nil {
		return 0
	}
	return h.h.TotalCount()
}

// Quantile returns the latency at or below which the fraction q (0..1) of the
// samples fall, with 3 significant digits; 0 for an empty histogram.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.h == nil || h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtQuantile(q*100)) * time.Microsecond
}

// Max returns the largest recorded latency (to 3 significant digits).
func (h Histogram) Max() time.Duration {
	if h.h == nil || h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Max()) * time.Microsecond
}

// atMost reports whether got is at most want at the histogram's resolution:
// a quantile is reported as the top of its bucket, so a latency exactly at
// the limit still meets it.
func (h Histogram) atMost(got, want time.Duration) bool {
	if got <= want {
		return true
	}
	if h.h == nil {
		return false
	}
	return h.h.ValuesAreEquivalent(got.Microseconds(), want.Microseconds())
}

// Equal reports whether h and o hold exactly the same samples.
func (h Histogram) Equal(o Histogram) bool {
	a, b := h.h, o.h
	if a == nil {
		a = newHDR()
	}
	if b == nil {
		b = newHDR()
	}
	return a.Equals(b)
}

// MarshalJSON encodes the histogram as a JSON string holding HdrHistogram's
// V2 compressed encoding in base64, which any HdrHistogram library decodes.
func (h Histogram) MarshalJSON() ([]byte, error) {
	src := h.h
	if src == nil {
		src = newHDR()
	}
	enc, err := src.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(enc))
}

// UnmarshalJSON decodes what MarshalJSON wrote. It accepts only this
// package's geometry, so decoded histograms always merge exactly, and checks
// the geometry before the counts are allocated.
func (h *Histogram) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("histogram: want a base64 string: %w", err)
	}
	if len(s) > maxEncodedLen {
		return fmt.Errorf("histogram: encoding is %d bytes, more than the %d allowed", len(s), maxEncodedLen)
	}
	if err := checkGeometry(s); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	h.h = d
	return nil
}

// checkGeometry reads the header of an encoded histogram and rejects any
// geometry other than this package's.
func checkGeometry(s string) error {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("bad base64: %w", err)
	}
	if len(raw) < 8 {
		return fmt.Errorf("encoding too short (%d bytes)", len(raw))
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return fmt.Errorf("bad compressed payload: %w", err)
	}
	defer z.Close()
	var hdr struct {
		Cookie, PayloadLen, Offset, SigFigs int32
		Lowest, Highest                     int64
	}
	if err := binary.Read(io.LimitReader(z, 32), binary.BigEndian, &hdr); err != nil {
		return fmt.Errorf("bad header: %w", err)
	}
	if hdr.SigFigs != sigFigs || hdr.Lowest != lowestMicros || hdr.Highest != highestMicros {
		return fmt.Errorf("geometry %d..%d with %d digits, want %d..%d with %d digits",
			hdr.Lowest, hdr.Highest, hdr.SigFigs, lowestMicros, highestMicros, sigFigs)
	}
	return nil
}
