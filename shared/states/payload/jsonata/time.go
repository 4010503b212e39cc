package jsonata

import (
	"math"
	"strings"
	"time"
)

// timeFromMillis formats milliseconds since the epoch as JSONata's $now
// does: ISO 8601 in UTC with milliseconds.
func timeFromMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func fnFromMillis(_ *evaluator, args []any, _ any) (any, error) {
	ms, ok, err := numArg(args, 0, "fromMillis")
	if !ok || err != nil {
		return Undefined, err
	}
	if len(args) > 1 && !IsUndefined(args[1]) {
		return nil, errorf("D3136", 0, "The date/time picture string is not supported by this engine")
	}
	return timeFromMillis(int64(math.Floor(ms))), nil
}

var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

func fnToMillis(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "toMillis")
	if !ok || err != nil {
		return Undefined, err
	}
	if len(args) > 1 && !IsUndefined(args[1]) {
		return nil, errorf("D3136", 0, "The date/time picture string is not supported by this engine")
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.UnixMilli()), nil
		}
	}
	return nil, errorf("D3110", 0, "The timestamp string %s is not a valid ISO 8601 format", strings.TrimSpace(s))
}

func fnPad(_ *evaluator, args []any, _ any) (any, error) {
	s, ok, err := strArg(args, 0, "pad")
	if !ok || err != nil {
		return Undefined, err
	}
	w, _, err := numArg(args, 1, "pad")
	if err != nil {
		return nil, err
	}
	ch := " "
	if c, ok, err := strArg(args, 2, "pad"); err != nil {
		return nil, err
	} else if ok && c != "" {
		ch = c
	}
	width := int(math.Abs(w))
	n := utf16Len(s)
	if n >= width {
		return s, nil
	}
	padding := strings.Repeat(ch, width-n)
	padding = string([]rune(padding)[:width-n])
	if w < 0 {
		return padding + s, nil
	}
	return s + padding, nil
}
