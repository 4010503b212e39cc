package store

import (
	"strings"
	"testing"
	"time"
)

func TestULIDs(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	u := newULIDs(func() time.Time { return now })
	steps := []struct {
		name    string
		advance time.Duration
	}{
		{name: "first"},
		{name: "same millisecond", advance: 0},
		{name: "later", advance: time.Second},
		{name: "clock stepped back", advance: -time.Hour},
		{name: "much later", advance: 48 * time.Hour},
	}
	prev := ""
	for _, st := range steps {
		now = now.Add(st.advance)
		id := u.next()
		if len(id) != 26 || strings.Trim(id, crockford) != "" {
			t.Fatalf("%s: id %q is not 26 Crockford base32 characters", st.name, id)
		}
		if id <= prev {
			t.Errorf("%s: id %q does not sort after %q", st.name, id, prev)
		}
		prev = id
	}
	// The time prefix decodes to the clock's milliseconds.
	ms := int64(0)
	first := newULIDs(func() time.Time { return base }).next()
	for _, c := range first[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	if ms != base.UnixMilli() {
		t.Errorf("time prefix of %s = %d ms, want %d", first, ms, base.UnixMilli())
	}
}

func TestIncrementOverflow(t *testing.T) {
	b := []byte{0xff, 0xff}
	if increment(b) || b[0] != 0 || b[1] != 0 {
		t.Errorf("increment(ffff) = %x, want overflow to 0000", b)
	}
	b = []byte{0x00, 0xff}
	if !increment(b) || b[0] != 1 || b[1] != 0 {
		t.Errorf("increment(00ff) = %x, want 0100", b)
	}
}
