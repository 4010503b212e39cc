package store

import (
	"crypto/rand"
	"sync"
	"time"
)

// ulids makes ULIDs (26 characters of Crockford base32: 48 bits of
// milliseconds then 80 random bits) that sort by creation time and, from one
// generator, strictly increase even within a millisecond or if the clock
// steps back.
type ulids struct {
	now func() time.Time

	mu     sync.Mutex
	lastMs int64
	rnd    [10]byte
}

func newULIDs(now func() time.Time) *ulids { return &ulids{now: now} }

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func (u *ulids) next() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	ms := u.now().UnixMilli()
	if ms <= u.lastMs {
		ms = u.lastMs
		if !increment(u.rnd[:]) {
			ms++
			_, _ = rand.Read(u.rnd[:])
		}
	} else {
		_, _ = rand.Read(u.rnd[:])
	}
	u.lastMs = ms

	var b [16]byte
	for i := range 6 {
		b[i] = byte(ms >> (8 * (5 - i)))
	}
	copy(b[6:], u.rnd[:])
	// 128 bits as 26 five-bit groups, with two zero bits in front.
	var out [26]byte
	for i := range out {
		var v byte
		for j := range 5 {
			bit := i*5 + j - 2
			v <<= 1
			if bit >= 0 && b[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		out[i] = crockford[v]
	}
	return string(out[:])
}

// increment adds one to a big-endian number, reporting false on overflow.
func increment(b []byte) bool {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return true
		}
	}
	return false
}
