package schedule

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load location %s: %v", name, err)
	}
	return loc
}

func mustTime(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		tb.Fatalf("parse time %q: %v", s, err)
	}
	return t
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		zone  string
		after string // wall time in zone
		want  string // RFC 3339
	}{
		{name: "every minute", expr: "* * * * ? *", zone: "UTC", after: "2026-01-01 10:00", want: "2026-01-01T10:01:00Z"},
		{name: "daily 02:00", expr: "0 2 * * ? *", zone: "UTC", after: "2026-01-01 02:00", want: "2026-01-02T02:00:00Z"},
		{name: "wrapped form", expr: "cron(0 2 * * ? *)", zone: "UTC", after: "2026-01-01 01:00", want: "2026-01-01T02:00:00Z"},
		{name: "in Berlin winter", expr: "0 2 * * ? *", zone: "Europe/Berlin", after: "2026-01-01 03:00", want: "2026-01-02T02:00:00+01:00"},
		{name: "steps", expr: "0/15 * * * ? *", zone: "UTC", after: "2026-01-01 10:16", want: "2026-01-01T10:30:00Z"},
		{name: "range with step", expr: "10-30/10 9 * * ? *", zone: "UTC", after: "2026-01-01 09:21", want: "2026-01-01T09:30:00Z"},
		{name: "list", expr: "5,50 * * * ? *", zone: "UTC", after: "2026-01-01 09:06", want: "2026-01-01T09:50:00Z"},
		{name: "weekdays by name", expr: "0 9 ? * MON-FRI *", zone: "UTC", after: "2026-01-02 10:00", want: "2026-01-05T09:00:00Z"}, // Fri → Mon
		{name: "sunday is 1", expr: "0 9 ? * 1 *", zone: "UTC", after: "2026-01-01 00:00", want: "2026-01-04T09:00:00Z"},
		{name: "month names", expr: "0 0 1 JUL ? *", zone: "UTC", after: "2026-01-01 00:00", want: "2026-07-01T00:00:00Z"},
		{name: "last day of month", expr: "0 12 L * ? *", zone: "UTC", after: "2026-02-01 00:00", want: "2026-02-28T12:00:00Z"},
		{name: "last day of leap february", expr: "0 12 L 2 ? *", zone: "UTC", after: "2027-03-01 00:00", want: "2028-02-29T12:00:00Z"},
		{name: "nearest weekday to a saturday", expr: "0 8 15W * ? *", zone: "UTC", after: "2026-08-01 00:00", want: "2026-08-14T08:00:00Z"}, // 15 Aug 2026 is a Saturday
		{name: "nearest weekday to a sunday", expr: "0 8 1W * ? *", zone: "UTC", after: "2026-02-01 00:00", want: "2026-02-02T08:00:00Z"},    // 1 Feb 2026 is a Sunday → Monday 2nd
		{name: "last weekday of month", expr: "0 8 LW * ? *", zone: "UTC", after: "2026-05-01 00:00", want: "2026-05-29T08:00:00Z"},          // 31 May 2026 is a Sunday
		{name: "last friday", expr: "0 17 ? * 6L *", zone: "UTC", after: "2026-01-01 00:00", want: "2026-01-30T17:00:00Z"},
		{name: "second tuesday", expr: "0 10 ? * TUE#2 *", zone: "UTC", after: "2026-01-01 00:00", want: "2026-01-13T10:00:00Z"},
		{name: "year field", expr: "0 0 1 1 ? 2028", zone: "UTC", after: "2026-06-01 00:00", want: "2028-01-01T00:00:00Z"},
		{name: "year run out", expr: "0 0 1 1 ? 2020-2025", zone: "UTC", after: "2026-06-01 00:00", want: "0001-01-01T00:00:00Z"},
		{name: "never (31 Feb)", expr: "0 0 31 2 ? *", zone: "UTC", after: "2026-06-01 00:00", want: "0001-01-01T00:00:00Z"},
		{name: "rate minutes aligned to epoch", expr: "rate(5 minutes)", zone: "UTC", after: "2026-01-01 10:02", want: "2026-01-01T10:05:00Z"},
		{name: "rate one hour", expr: "rate(1 hour)", zone: "UTC", after: "2026-01-01 10:00", want: "2026-01-01T11:00:00Z"},
		// America/New_York springs forward on 2026-03-08 at 02:00 → 03:00.
		{name: "DST gap: skipped time fires at the jump", expr: "30 2 * * ? *", zone: "America/New_York", after: "2026-03-07 03:00", want: "2026-03-08T03:00:00-04:00"},
		{name: "DST gap: next day back to normal", expr: "30 2 * * ? *", zone: "America/New_York", after: "2026-03-08 04:00", want: "2026-03-09T02:30:00-04:00"},
		{name: "DST gap: hourly skips the missing hour once", expr: "0 * * * ? *", zone: "America/New_York", after: "2026-03-08 01:30", want: "2026-03-08T03:00:00-04:00"},
		{name: "DST gap: every minute crosses the jump", expr: "* * * * ? *", zone: "America/New_York", after: "2026-03-08 01:59", want: "2026-03-08T03:00:00-04:00"},
		// America/New_York falls back on 2026-11-01 at 02:00 → 01:00.
		{name: "DST overlap: first 01:30 fires", expr: "30 1 * * ? *", zone: "America/New_York", after: "2026-11-01 00:00", want: "2026-11-01T01:30:00-04:00"},
		{name: "DST overlap: repeated 01:30 does not", expr: "30 1 * * ? *", zone: "America/New_York", after: "2026-11-01 01:31", want: "2026-11-02T01:30:00-05:00"},
		{name: "DST overlap: hourly continues after the repeat", expr: "0 * * * ? *", zone: "America/New_York", after: "2026-11-01 01:00", want: "2026-11-01T02:00:00-05:00"},
		{name: "Europe/Berlin spring forward", expr: "15 2 * * ? *", zone: "Europe/Berlin", after: "2026-03-28 12:00", want: "2026-03-29T03:00:00+02:00"},
		{name: "half-hour zone", expr: "0 9 * * ? *", zone: "Asia/Kolkata", after: "2026-01-01 09:00", want: "2026-01-02T09:00:00+05:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			if err != nil {
				t.Fatalf("ParseCron(%q): %v", tt.expr, err)
			}
			loc := mustLoad(t, tt.zone)
			after := mustTime(t, loc, tt.after)
			// An overlap "after" is ambiguous in wall time; pin it to the
			// second occurrence for the repeated-time case.
			if tt.name == "DST overlap: repeated 01:30 does not" {
				after = time.Date(2026, 11, 1, 6, 31, 0, 0, time.UTC) // 01:31 EST
			}
			got := c.Next(after, loc)
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("Next(%s) in %s = %s, want %s", after.Format(time.RFC3339), tt.zone, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestCronNextOverlapOnce(t *testing.T) {
	// Over the whole fall-back night an every-30-minutes schedule fires at
	// each wall time exactly once.
	loc := mustLoad(t, "America/New_York")
	c, err := ParseCron("0/30 * * * ? *")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for at := mustTime(t, loc, "2026-11-01 00:00"); len(got) < 6; {
		at = c.Next(at, loc)
		got = append(got, at.Format("15:04-07"))
	}
	want := "00:30-04 01:00-04 01:30-04 02:00-05 02:30-05 03:00-05"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("firings = %s, want %s", g, want)
	}
}

func TestParseCronErrors(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // substring of the error
	}{
		{name: "five fields", expr: "0 2 * * ?", want: "want 6 fields"},
		{name: "both question marks", expr: "0 2 ? * ? *", want: "cannot both be ?"},
		{name: "neither question mark", expr: "0 2 * * * *", want: "must be ?"},
		{name: "minute out of range", expr: "60 2 * * ? *", want: "minutes field: 60 is out of range 0-59"},
		{name: "hour out of range", expr: "0 24 * * ? *", want: "hours field: 24 is out of range"},
		{name: "bad month name", expr: "0 2 1 FOO ? *", want: `month field: "FOO" is neither a number nor a name`},
		{name: "bad day name", expr: "0 2 ? * MON-FRX *", want: `day-of-week field: "FRX"`},
		{name: "backwards range", expr: "0 2 ? * FRI-MON *", want: "runs backwards"},
		{name: "zero step", expr: "*/0 2 * * ? *", want: "bad step"},
		{name: "empty list item", expr: "1,,2 2 * * ? *", want: "empty list item"},
		{name: "year too small", expr: "0 0 1 1 ? 1969", want: "year field: 1969 is out of range"},
		{name: "bad nth", expr: "0 0 ? * MON#6 *", want: "occurrence 1-5"},
		{name: "bad W day", expr: "0 0 32W * ? *", want: "day-of-month field: 32"},
		{name: "rate unit", expr: "rate(5 weeks)", want: "unit"},
		{name: "rate plural with one", expr: "rate(1 minutes)", want: `use "minute" with 1`},
		{name: "rate singular with many", expr: "rate(5 minute)", want: `use "minutes" with 5`},
		{name: "rate zero", expr: "rate(0 minutes)", want: "positive whole number"},
		{name: "rate shape", expr: "rate(minutes)", want: "rate(VALUE UNIT)"},
		{name: "empty", expr: "", want: "want 6 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCron(tt.expr)
			if err == nil {
				t.Fatalf("ParseCron(%q) = nil error, want one containing %q", tt.expr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCron(%q) error = %q, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestCronString(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{name: "bare", expr: "0  2 * * ? *", want: "cron(0 2 * * ? *)"},
		{name: "wrapped", expr: "cron(0 2 * * ? *)", want: "cron(0 2 * * ? *)"},
		{name: "rate", expr: "rate(1 day)", want: "rate(1 day)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseCron(f *testing.F) {
	seeds, err := os.ReadFile("testdata/cron-seeds.txt")
	if err != nil {
		f.Fatalf("read seed corpus: %v", err)
	}
	for _, s := range strings.Split(strings.TrimSpace(string(seeds)), "\n") {
		f.Add(s)
	}
	loc := mustLoad(f, "America/New_York")
	after := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic("ParseCron/Next took over 5s for " + strconv.Quote(expr)) })
		defer watchdog.Stop()
		c, err := ParseCron(expr)
		if err != nil {
			return
		}
		next := c.Next(after, loc)
		if !next.IsZero() && !next.After(after) {
			t.Fatalf("ParseCron(%q).Next(%s) = %s, not after", expr, after, next)
		}
		again, err := ParseCron(c.String())
		if err != nil {
			t.Fatalf("ParseCron(String() = %q) of %q: %v", c.String(), expr, err)
		}
		if got := again.Next(after, loc); !got.Equal(next) {
			t.Fatalf("re-parsed %q fires at %s, original at %s", c.String(), got, next)
		}
	})
}
