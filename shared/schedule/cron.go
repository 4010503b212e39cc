package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed EventBridge schedule expression: either a six-field cron
// expression (minutes hours day-of-month month day-of-week year) or a rate
// expression. The zero value never fires.
type Cron struct {
	expr string
	rate time.Duration

	minutes bitset // 0-59
	hours   bitset // 0-23
	months  bitset // 1-12
	years   bitset // year-minYear

	// Day of month, used when dowAny is set.
	domAny         bool   // '?': the day-of-week field decides
	dom            bitset // 1-31
	domLast        bool   // L
	domLastWeekday bool   // LW
	domNearest     bitset // nW: weekday nearest to day n

	// Day of week (1=SUN … 7=SAT), used when domAny is set.
	dowAny  bool
	dow     bitset
	dowLast bitset   // nL: last such weekday of the month
	dowNth  [][2]int // n#k: k-th such weekday of the month
}

const (
	minYear = 1970
	maxYear = 2199
)

// bitset holds small non-negative integers (up to 255).
type bitset [4]uint64

func (b *bitset) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }

var monthNames = map[string]int{
	"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

type fieldSpec struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	minuteField = fieldSpec{name: "minutes", min: 0, max: 59}
	hourField   = fieldSpec{name: "hours", min: 0, max: 23}
	domField    = fieldSpec{name: "day-of-month", min: 1, max: 31}
	monthField  = fieldSpec{name: "month", min: 1, max: 12, names: monthNames}
	dowField    = fieldSpec{name: "day-of-week", min: 1, max: 7, names: dayNames}
	yearField   = fieldSpec{name: "year", min: minYear, max: maxYear}
)

// ParseCron parses an EventBridge schedule expression. It accepts
// "cron(m h dom mon dow y)", the same six fields without the wrapper, and
// "rate(N minute|minutes|hour|hours|day|days)". As in EventBridge, exactly one
// of day-of-month and day-of-week must be "?", day-of-week counts 1=SUN to
// 7=SAT, and L, W and # are supported.
func ParseCron(expr string) (Cron, error) {
	s := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		return parseRate(expr, s[len("rate("):len(s)-1])
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		s = s[len("cron(") : len(s)-1]
	}
	fields := strings.Fields(s)
	if len(fields) != 6 {
		return Cron{}, fmt.Errorf("cron expression %q: want 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(fields))
	}
	c := Cron{expr: "cron(" + strings.Join(fields, " ") + ")"}
	var err error
	wrap := func(e error) error { return fmt.Errorf("cron expression %q: %w", expr, e) }
	if c.minutes, err = parseField(minuteField, fields[0]); err != nil {
		return Cron{}, wrap(err)
	}
	if c.hours, err = parseField(hourField, fields[1]); err != nil {
		return Cron{}, wrap(err)
	}
	if c.months, err = parseField(monthField, fields[3]); err != nil {
		return Cron{}, wrap(err)
	}
	years, err := parseField(yearField, fields[5])
	if err != nil {
		return Cron{}, wrap(err)
	}
	c.years = years
	c.domAny, c.dowAny = fields[2] == "?", fields[4] == "?"
	switch {
	case c.domAny && c.dowAny:
		return Cron{}, wrap(fmt.Errorf("day-of-month and day-of-week cannot both be ?"))
	case !c.domAny && !c.dowAny:
		return Cron{}, wrap(fmt.Errorf("one of day-of-month and day-of-week must be ? (got %q and %q)", fields[2], fields[4]))
	}
	if !c.domAny {
		if err := c.parseDOM(fields[2]); err != nil {
			return Cron{}, wrap(err)
		}
	}
	if !c.dowAny {
		if err := c.parseDOW(fields[4]); err != nil {
			return Cron{}, wrap(err)
		}
	}
	return c, nil
}

func parseRate(expr, body string) (Cron, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return Cron{}, fmt.Errorf("rate expression %q: want rate(VALUE UNIT)", expr)
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 {
		return Cron{}, fmt.Errorf("rate expression %q: value %q must be a positive whole number", expr, parts[0])
	}
	var unit time.Duration
	singular := strings.TrimSuffix(parts[1], "s")
	switch singular {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return Cron{}, fmt.Errorf("rate expression %q: unit %q must be minute(s), hour(s) or day(s)", expr, parts[1])
	}
	if plural := parts[1] != singular; plural == (n == 1) {
		return Cron{}, fmt.Errorf("rate expression %q: use %q with %d", expr, map[bool]string{true: singular, false: singular + "s"}[n == 1], n)
	}
	if n > 1_000_000 {
		return Cron{}, fmt.Errorf("rate expression %q: value %d is too large", expr, n)
	}
	return Cron{expr: "rate(" + parts[0] + " " + parts[1] + ")", rate: time.Duration(n) * unit}, nil
}

// parseField parses a list of values, ranges and steps. The result is stored
// relative to zero for every field except year, which is stored relative to
// minYear.
func parseField(f fieldSpec, s string) (bitset, error) {
	var b bitset
	for _, item := range strings.Split(s, ",") {
		lo, hi, step, err := parseItem(f, item)
		if err != nil {
			return bitset{}, err
		}
		for v := lo; v <= hi; v += step {
			b.set(offset(f, v))
		}
	}
	return b, nil
}

func offset(f fieldSpec, v int) int {
	if f.min == minYear {
		return v - minYear
	}
	return v
}

func parseItem(f fieldSpec, item string) (lo, hi, step int, err error) {
	if item == "" {
		return 0, 0, 0, fmt.Errorf("%s field: empty list item", f.name)
	}
	rng, stepStr, hasStep := strings.Cut(item, "/")
	step = 1
	if hasStep {
		step, err = strconv.Atoi(stepStr)
		if err != nil || step < 1 || step > f.max-f.min+1 {
			return 0, 0, 0, fmt.Errorf("%s field: bad step %q in %q", f.name, stepStr, item)
		}
	}
	switch {
	case rng == "*":
		return f.min, f.max, step, nil
	case strings.Contains(rng, "-"):
		a, z, _ := strings.Cut(rng, "-")
		if lo, err = value(f, a); err != nil {
			return 0, 0, 0, err
		}
		if hi, err = value(f, z); err != nil {
			return 0, 0, 0, err
		}
		if lo > hi {
			return 0, 0, 0, fmt.Errorf("%s field: range %q runs backwards", f.name, rng)
		}
		return lo, hi, step, nil
	}
	if lo, err = value(f, rng); err != nil {
		return 0, 0, 0, err
	}
	if hasStep {
		return lo, f.max, step, nil
	}
	return lo, lo, 1, nil
}

func value(f fieldSpec, s string) (int, error) {
	if v, ok := f.names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		if f.names != nil {
			return 0, fmt.Errorf("%s field: %q is neither a number nor a name", f.name, s)
		}
		return 0, fmt.Errorf("%s field: %q is not a number", f.name, s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%s field: %d is out of range %d-%d", f.name, v, f.min, f.max)
	}
	return v, nil
}

func (c *Cron) parseDOM(s string) error {
	for _, item := range strings.Split(s, ",") {
		switch {
		case item == "L":
			c.domLast = true
		case item == "LW":
			c.domLastWeekday = true
		case strings.HasSuffix(item, "W") && len(item) > 1:
			n, err := value(domField, strings.TrimSuffix(item, "W"))
			if err != nil {
				return err
			}
			c.domNearest.set(n)
		default:
			b, err := parseField(domField, item)
			if err != nil {
				return err
			}
			for i := range c.dom {
				c.dom[i] |= b[i]
			}
		}
	}
	return nil
}

func (c *Cron) parseDOW(s string) error {
	for _, item := range strings.Split(s, ",") {
		switch {
		case item == "L":
			c.dow.set(7)
		case strings.HasSuffix(item, "L") && len(item) > 1:
			n, err := value(dowField, strings.TrimSuffix(item, "L"))
			if err != nil {
				return err
			}
			c.dowLast.set(n)
		case strings.Contains(item, "#"):
			d, k, _ := strings.Cut(item, "#")
			n, err := value(dowField, d)
			if err != nil {
				return err
			}
			nth, err := strconv.Atoi(k)
			if err != nil || nth < 1 || nth > 5 {
				return fmt.Errorf("day-of-week field: %q needs an occurrence 1-5 after #", item)
			}
			c.dowNth = append(c.dowNth, [2]int{n, nth})
		default:
			b, err := parseField(dowField, item)
			if err != nil {
				return err
			}
			for i := range c.dow {
				c.dow[i] |= b[i]
			}
		}
	}
	return nil
}

// String returns the expression in EventBridge's wrapped form.
func (c Cron) String() string { return c.expr }

// IsRate reports whether c is a rate expression.
func (c Cron) IsRate() bool { return c.rate > 0 }

// Next returns the first firing time strictly after after, evaluated in loc
// (UTC when nil). Wall-clock times skipped by a daylight-saving jump fire at
// the jump; wall-clock times repeated when clocks go back fire once, the first
// time. Rate expressions fire at whole multiples of their rate counted from
// the Unix epoch. Next returns the zero time when nothing fires again (the
// year field has run out) or c is the zero Cron.
func (c Cron) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if c.rate > 0 {
		n := after.Unix()/int64(c.rate/time.Second) + 1
		return time.Unix(n*int64(c.rate/time.Second), 0).In(loc)
	}
	if c.expr == "" {
		return time.Time{}
	}
	t := after.Truncate(time.Minute).Add(time.Minute)
	for {
		w := t.In(loc)
		if w.Year() > maxYear {
			return time.Time{}
		}
		if !c.years.has(w.Year()-minYear) || !c.months.has(int(w.Month())) {
			// Jump to the first day of the next month.
			t = forward(t, time.Date(w.Year(), w.Month()+1, 1, 0, 0, 0, 0, loc))
			continue
		}
		if !c.dayMatches(w.Year(), w.Month(), w.Day()) {
			t = forward(t, time.Date(w.Year(), w.Month(), w.Day()+1, 0, 0, 0, 0, loc))
			continue
		}
		if c.fires(t, w, loc) {
			return w
		}
		t = t.Add(time.Minute)
	}
}

// forward returns next, or a minute after t when a daylight-saving jump
// made next land at or before t; the search must always move on.
func forward(t, next time.Time) time.Time {
	if !next.After(t) {
		return t.Add(time.Minute)
	}
	return next.Truncate(time.Minute)
}

// fires reports whether the instant t (wall clock w) is a firing time.
func (c Cron) fires(t, w time.Time, loc *time.Location) bool {
	prev := t.Add(-time.Minute).In(loc)
	_, offNow := w.Zone()
	_, offPrev := prev.Zone()
	if offNow > offPrev {
		// Clocks jumped forward at t: fire now for any matching wall time
		// that the jump skipped, as well as for t's own wall time. The
		// arithmetic is on naive wall-clock times, hence UTC.
		wall := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, time.UTC)
		skipped := time.Duration(offNow-offPrev) * time.Second
		for d := time.Duration(0); d <= skipped; d += time.Minute {
			s := wall.Add(-d)
			if c.minutes.has(s.Minute()) && c.hours.has(s.Hour()) && s.Day() == w.Day() {
				return true
			}
		}
		return false
	}
	if !c.minutes.has(w.Minute()) || !c.hours.has(w.Hour()) {
		return false
	}
	// A wall time is repeated when the same wall time existed under a larger
	// offset earlier; fire only on its first occurrence.
	_, offDayBefore := t.Add(-3 * time.Hour).In(loc).Zone()
	if offDayBefore > offNow {
		earlier := t.Add(-time.Duration(offDayBefore-offNow) * time.Second).In(loc)
		if earlier.Hour() == w.Hour() && earlier.Minute() == w.Minute() && earlier.Day() == w.Day() {
			return false
		}
	}
	return true
}

// dayMatches reports whether the date matches the day-of-month or
// day-of-week field, whichever is not "?".
func (c Cron) dayMatches(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	if c.dowAny {
		if c.dom.has(d) || (c.domLast && d == last) {
			return true
		}
		if c.domLastWeekday && d == nearestWeekday(y, m, last) {
			return true
		}
		for n := 1; n <= 31; n++ {
			if c.domNearest.has(n) && n <= last && d == nearestWeekday(y, m, n) {
				return true
			}
		}
		return false
	}
	wd := int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()) + 1 // 1=SUN
	if c.dow.has(wd) {
		return true
	}
	if c.dowLast.has(wd) && d+7 > last {
		return true
	}
	for _, nth := range c.dowNth {
		if nth[0] == wd && (d-1)/7+1 == nth[1] {
			return true
		}
	}
	return false
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday is the Monday-to-Friday day nearest to day n of the month,
// never leaving the month (Quartz's W rule).
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	switch time.Date(y, m, n, 12, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
