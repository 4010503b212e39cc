package schedule

import (
	"sort"
	"time"

	// Deploy windows and schedules name IANA zones; Lambda's runtime has no
	// zoneinfo files, so the database is compiled in.
	_ "time/tzdata"

	"github.com/shipwave/shipwave/shared/release"
)

// horizon bounds how far NextOpen looks ahead.
const horizon = 400

// Open reports whether traffic may shift at t under the window w. The window
// opens at w.Start on each of w.Days (every day when Days is empty) in
// w.Timezone (UTC when empty) and closes at w.End; an End before Start wraps
// past midnight into the next day. No instant whose local date is listed in
// Blocked is open. An unknown time zone or an empty window (Start == End) is
// never open, so a broken window fails safe.
func Open(w release.Window, t time.Time) bool {
	loc, err := time.LoadLocation(w.Timezone)
	if err != nil {
		return false
	}
	return open(w, loc, t)
}

func open(w release.Window, loc *time.Location, t time.Time) bool {
	l := t.In(loc)
	date := l.Format(time.DateOnly)
	for _, b := range w.Blocked {
		if b == date {
			return false
		}
	}
	now := release.Clock(l.Hour()*60 + l.Minute())
	switch {
	case w.Start < w.End:
		return onDay(w, l.Weekday()) && now >= w.Start && now < w.End
	case w.Start > w.End:
		if now >= w.Start {
			return onDay(w, l.Weekday())
		}
		return now < w.End && onDay(w, (l.Weekday()+6)%7)
	}
	return false
}

func onDay(w release.Window, d time.Weekday) bool {
	if len(w.Days) == 0 {
		return true
	}
	for _, x := range w.Days {
		if x == d {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant at or after t at which any of the
// windows is open, and true; t itself when there are no windows (nothing
// restricts traffic) or one is open already. It returns false when no window
// opens within about a year, for example because every date is blocked or a
// time zone is unknown.
func NextOpen(ws []release.Window, t time.Time) (time.Time, bool) {
	if len(ws) == 0 {
		return t, true
	}
	type window struct {
		w   release.Window
		loc *time.Location
	}
	var valid []window
	for _, w := range ws {
		loc, err := time.LoadLocation(w.Timezone)
		if err != nil {
			continue
		}
		if open(w, loc, t) {
			return t, true
		}
		valid = append(valid, window{w, loc})
	}
	// A window can only become open at its start time, at a local midnight
	// (a blocked date ends, the next listed day begins) or at a
	// daylight-saving jump. Visit those instants in order.
	for i := 0; i <= horizon; i++ {
		var cands []time.Time
		for _, v := range valid {
			l := t.In(v.loc)
			y, m, d := l.Date()
			midnight := time.Date(y, m, d+i, 0, 0, 0, 0, v.loc)
			next := time.Date(y, m, d+i+1, 0, 0, 0, 0, v.loc)
			start := time.Date(y, m, d+i, int(v.w.Start/60), int(v.w.Start%60), 0, 0, v.loc)
			cands = append(cands, midnight, start)
			if jump, ok := transition(midnight, next); ok {
				cands = append(cands, jump)
			}
		}
		sort.Slice(cands, func(a, b int) bool { return cands[a].Before(cands[b]) })
		for _, c := range cands {
			if c.Before(t) {
				continue
			}
			for _, v := range valid {
				if open(v.w, v.loc, c) {
					return c, true
				}
			}
		}
	}
	return time.Time{}, false
}

// transition finds the first instant in [from, to) at which the zone offset
// changes, to the minute.
func transition(from, to time.Time) (time.Time, bool) {
	_, off := from.Zone()
	if _, end := to.Add(-time.Minute).Zone(); end == off {
		return time.Time{}, false
	}
	lo, hi := from, to.Add(-time.Minute) // offset at lo == off, at hi != off
	for hi.Sub(lo) > time.Minute {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Minute)
		if _, o := mid.Zone(); o == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, true
}
