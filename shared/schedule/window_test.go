package schedule

import (
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

func clock(h, m int) release.Clock { return release.Clock(h*60 + m) }

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}

func TestOpen(t *testing.T) {
	la := release.Window{Days: weekdays, Start: clock(9, 0), End: clock(16, 0), Timezone: "America/Los_Angeles"}
	night := release.Window{Days: []time.Weekday{time.Friday}, Start: clock(22, 0), End: clock(2, 0), Timezone: "Europe/Berlin"}
	blocked := la
	blocked.Blocked = []string{"2026-12-24"}
	allDay := release.Window{Start: 0, End: clock(24, 0)}
	tests := []struct {
		name string
		w    release.Window
		at   string // RFC 3339
		want bool
	}{
		{name: "inside", w: la, at: "2026-11-23T10:00:00-08:00", want: true},             // Monday
		{name: "start is inclusive", w: la, at: "2026-11-23T09:00:00-08:00", want: true}, // Monday
		{name: "end is exclusive", w: la, at: "2026-11-23T16:00:00-08:00", want: false},
		{name: "before start", w: la, at: "2026-11-23T08:59:00-08:00", want: false},
		{name: "other zone same instant", w: la, at: "2026-11-23T18:00:00Z", want: true},      // 10:00 in LA
		{name: "local date differs from UTC", w: la, at: "2026-11-24T01:00:00Z", want: false}, // Mon 17:00 in LA
		{name: "day not listed", w: la, at: "2026-11-27T10:00:00-08:00", want: false},         // Friday
		{name: "wrap: evening of listed day", w: night, at: "2026-11-27T23:00:00+01:00", want: true},
		{name: "wrap: after midnight belongs to the previous day", w: night, at: "2026-11-28T01:30:00+01:00", want: true},
		{name: "wrap: end exclusive", w: night, at: "2026-11-28T02:00:00+01:00", want: false},
		{name: "wrap: after midnight of unlisted day", w: night, at: "2026-11-27T01:30:00+01:00", want: false}, // Thursday night
		{name: "blocked date", w: blocked, at: "2026-12-24T10:00:00-08:00", want: false},
		{name: "day after blocked date", w: blocked, at: "2026-12-28T10:00:00-08:00", want: true},
		{name: "empty days means every day, 24h", w: allDay, at: "2026-11-29T23:59:00Z", want: true},
		{name: "unknown zone fails closed", w: release.Window{Start: 0, End: clock(24, 0), Timezone: "Mars/Olympus"}, at: "2026-11-23T10:00:00Z", want: false},
		{name: "empty window never opens", w: release.Window{Start: clock(9, 0), End: clock(9, 0)}, at: "2026-11-23T09:00:00Z", want: false},
		// Summer time in LA: the window follows the wall clock.
		{name: "DST: summer wall clock", w: la, at: "2026-07-06T09:30:00-07:00", want: true},
		{name: "DST: same UTC hour in winter is closed", w: la, at: "2026-01-05T16:30:00Z", want: false}, // 08:30 PST
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := Open(tt.w, at); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestNextOpen(t *testing.T) {
	la := release.Window{Days: weekdays, Start: clock(9, 0), End: clock(16, 0), Timezone: "America/Los_Angeles"}
	night := release.Window{Days: []time.Weekday{time.Friday}, Start: clock(22, 0), End: clock(2, 0), Timezone: "Europe/Berlin"}
	xmas := la
	xmas.Blocked = []string{"2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24"}
	// Spring forward in New York on 2026-03-08: 02:00 → 03:00. A window
	// 02:30-04:00 on that Sunday opens at the jump, 03:00 EDT.
	gap := release.Window{Days: []time.Weekday{time.Sunday}, Start: clock(2, 30), End: clock(4, 0), Timezone: "America/New_York"}
	allBlocked := release.Window{Days: []time.Weekday{time.Monday}, Start: 0, End: clock(24, 0)}
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		allBlocked.Blocked = append(allBlocked.Blocked, d.Format(time.DateOnly))
	}
	tests := []struct {
		name   string
		ws     []release.Window
		at     string
		want   string
		wantOK bool
	}{
		{name: "no windows: now", ws: nil, at: "2026-11-27T10:00:00Z", want: "2026-11-27T10:00:00Z", wantOK: true},
		{name: "already open: now", ws: []release.Window{la}, at: "2026-11-23T10:00:00-08:00", want: "2026-11-23T10:00:00-08:00", wantOK: true},
		{name: "later today", ws: []release.Window{la}, at: "2026-11-23T07:15:00-08:00", want: "2026-11-23T09:00:00-08:00", wantOK: true},
		{name: "over the weekend", ws: []release.Window{la}, at: "2026-11-26T16:00:00-08:00", want: "2026-11-30T09:00:00-08:00", wantOK: true},
		{name: "blocked days skipped", ws: []release.Window{xmas}, at: "2026-12-18T12:00:00-08:00", want: "2026-12-28T09:00:00-08:00", wantOK: true},
		{name: "earliest of two windows", ws: []release.Window{la, night}, at: "2026-11-27T12:00:00Z", want: "2026-11-27T22:00:00+01:00", wantOK: true},
		{name: "DST gap: opens at the jump", ws: []release.Window{gap}, at: "2026-03-07T12:00:00-05:00", want: "2026-03-08T03:00:00-04:00", wantOK: true},
		{name: "wrap window after a blocked evening opens at midnight", ws: []release.Window{{Days: []time.Weekday{time.Friday}, Start: clock(22, 0), End: clock(2, 0), Timezone: "UTC", Blocked: []string{"2026-11-27"}}},
			at: "2026-11-27T21:00:00Z", want: "2026-11-28T00:00:00Z", wantOK: true},
		{name: "DST fall back: window follows the wall clock", ws: []release.Window{{Days: []time.Weekday{time.Sunday}, Start: clock(9, 0), End: clock(10, 0), Timezone: "America/New_York"}},
			at: "2026-11-01T00:00:00-04:00", want: "2026-11-01T09:00:00-05:00", wantOK: true},
		{name: "all dates blocked", ws: []release.Window{allBlocked}, at: "2026-01-01T00:00:00Z", wantOK: false},
		{name: "only unknown zones", ws: []release.Window{{Start: 0, End: clock(24, 0), Timezone: "Nowhere/Void"}}, at: "2026-01-01T00:00:00Z", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := NextOpen(tt.ws, at)
			if ok != tt.wantOK {
				t.Fatalf("NextOpen(%s) ok = %v, want %v (got %s)", tt.at, ok, tt.wantOK, got)
			}
			if !ok {
				return
			}
			want, err := time.Parse(time.RFC3339, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got.Format(time.RFC3339), tt.want)
			}
			anyOpen := len(tt.ws) == 0
			for _, w := range tt.ws {
				anyOpen = anyOpen || Open(w, got)
			}
			if !anyOpen {
				t.Errorf("NextOpen returned %s, but no window is open then", got)
			}
		})
	}
}
