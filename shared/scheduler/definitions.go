package scheduler

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
)

// Definition is one schedule of a pipeline.
type Definition struct {
	// Name is the schedule's name: shipwave-<pipeline>-<rule index>.
	Name     string
	Pipeline string
	// Rule is the index of the trigger in the spec's triggers list.
	Rule int
	// Expression is the EventBridge cron or rate expression, wrapped.
	Expression string
	// Timezone is the IANA zone the expression is read in ("UTC" if the
	// spec gives none).
	Timezone string
	// Cron is Expression parsed.
	Cron schedule.Cron
	// Location is Timezone loaded.
	Location *time.Location
}

// Fire is what a schedule sends when it fires: EventBridge Scheduler fills
// ScheduledTime from <aws.scheduler.scheduled-time>.
type Fire struct {
	Pipeline      string `json:"pipeline"`
	Rule          int    `json:"rule"`
	ScheduledTime string `json:"scheduledTime"`
}

// Input is the target input of the schedule: a Fire whose scheduled time
// EventBridge Scheduler fills in.
func (d Definition) Input() string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the placeholder must stay literal
	enc.Encode(Fire{Pipeline: d.Pipeline, Rule: d.Rule, ScheduledTime: "<aws.scheduler.scheduled-time>"})
	return strings.TrimSuffix(b.String(), "\n")
}

// NamePrefix is the prefix of every schedule name of pipeline.
func NamePrefix(pipeline string) string {
	return "shipwave-" + sanitize(pipeline) + "-"
}

// Definitions returns the schedules of p's schedule triggers. A bad
// expression or time zone is a release.ErrInvalid error naming the field.
func Definitions(p release.Pipeline) ([]Definition, error) {
	var defs []Definition
	for i, tr := range p.Triggers {
		if tr.Schedule == nil {
			continue
		}
		field := fmt.Sprintf("triggers[%d].schedule", i)
		expr := strings.TrimSpace(tr.Schedule.Cron)
		if !strings.HasPrefix(expr, "cron(") && !strings.HasPrefix(expr, "rate(") {
			expr = "cron(" + expr + ")"
		}
		c, err := schedule.ParseCron(expr)
		if err != nil {
			return nil, release.Errorf(release.ErrInvalid, "%s.cron: %w", field, err)
		}
		tz := tr.Schedule.Timezone
		if tz == "" {
			tz = "UTC"
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, release.Errorf(release.ErrInvalid, "%s.timezone: %w", field, err)
		}
		defs = append(defs, Definition{
			Name: NamePrefix(p.Name) + fmt.Sprint(i), Pipeline: p.Name, Rule: i,
			Expression: c.String(), Timezone: tz, Cron: c, Location: loc,
		})
	}
	return defs, nil
}

// sanitize keeps a pipeline name within Scheduler's name rules
// ([0-9a-zA-Z-_.], at most 64 characters with the prefix and suffix).
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	if len(b) > 48 {
		b = b[:48]
	}
	return string(b)
}
