// Package schedule answers "when": it parses EventBridge schedule expressions
// (six-field cron and rate) and finds their next firing time in a time zone,
// and it decides whether deploy windows are open at an instant and when the
// next one opens. Daylight-saving jumps, windows that wrap past midnight and
// blocked dates are handled here so that callers only pass instants.
package schedule
