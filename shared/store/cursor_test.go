package store

import (
	"errors"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
)

func TestCursorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    cursorData
	}{
		{name: "ulid", c: cursorData{Pipeline: "orders", ID: "01JREL00000000000000000001"}},
		{name: "odd characters", c: cursorData{Pipeline: "a#b/c d", ID: "ü\"\\"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCursor(encodeCursor(tt.c))
			if err != nil || got != tt.c {
				t.Errorf("decodeCursor(encodeCursor(%+v)) = %+v, %v; want it back", tt.c, got, err)
			}
		})
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	tests := []struct {
		name, cursor string
	}{
		{name: "not base64", cursor: "%%%"},
		{name: "not json", cursor: "bm90IGpzb24"},
		{name: "empty object", cursor: "e30"},
		{name: "no id", cursor: encodeCursor(cursorData{Pipeline: "p"})},
		{name: "too long", cursor: encodeCursor(cursorData{Pipeline: "p", ID: string(make([]byte, 3000))})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeCursor(tt.cursor); !errors.Is(err, release.ErrInvalid) {
				t.Errorf("decodeCursor(%.30q) error = %v, want ErrInvalid", tt.cursor, err)
			}
		})
	}
}

// FuzzDecodeCursor: cursors come back from API callers; any string either
// decodes to a cursor that re-encodes to itself or is an ErrInvalid error.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursorData{Pipeline: "orders", ID: "01JREL00000000000000000001"}))
	f.Add("e30")
	f.Add("")
	f.Add("eyJwIjoiYSIsImlkIjoiYiJ9")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("decodeCursor(%q) error %v is not ErrInvalid", s, err)
			}
			return
		}
		if c.Pipeline == "" || c.ID == "" {
			t.Fatalf("decodeCursor(%q) = %+v with an empty field", s, c)
		}
		again, err := decodeCursor(encodeCursor(c))
		if err != nil || again != c {
			t.Fatalf("re-encoded cursor %+v decodes to %+v, %v", c, again, err)
		}
	})
}
