package jsonata

import "time"

// timeFromMillis formats milliseconds since the epoch as JSONata's $now
// does: ISO 8601 in UTC with milliseconds.
func timeFromMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}
