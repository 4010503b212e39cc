package store

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"

	"github.com/shipwave/shipwave/shared/release"
)

// cursorData is what a ListReleases cursor carries: the pipeline it pages
// and the id of the last release returned.
type cursorData struct {
	Pipeline string `json:"p"`
	ID       string `json:"id"`
}

// maxCursorLen bounds a cursor before it is decoded.
const maxCursorLen = 4 * maxNameLen

func encodeCursor(c cursorData) string {
	b, _ := json.Marshal(c) // two strings: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor that came back from a caller; anything but
// one encodeCursor made is an ErrInvalid error.
func decodeCursor(s string) (cursorData, error) {
	var c cursorData
	if len(s) > maxCursorLen {
		return c, release.Errorf(release.ErrInvalid, "cursor is %d bytes long, at most %d allowed", len(s), maxCursorLen)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, release.Errorf(release.ErrInvalid, "cursor is not base64url: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, release.Errorf(release.ErrInvalid, "cursor does not decode: %w", err)
	}
	for _, f := range []struct{ name, v string }{{"pipeline", c.Pipeline}, {"id", c.ID}} {
		if f.v == "" || len(f.v) > maxNameLen || !utf8.ValidString(f.v) {
			return cursorData{}, release.Errorf(release.ErrInvalid, "cursor has an invalid %s", f.name)
		}
	}
	return c, nil
}
