package scheduler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/schedule"
)

// Definition is one schedule of a pipeline.
type Definition struct {
	// Name is the schedule's name, ScheduleName(Pipeline, Rule).
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

// ScheduleName is the name of the schedule of pipeline's trigger rule:
// shipwave-<pipeline>-<tag>-<rule>, where <pipeline> is the name made safe
// for Scheduler and cut to 38 characters, and <tag> is the first 10 hex
// digits of the SHA-256 of the exact pipeline name. The tag keeps names of
// different pipelines apart even where one name extends another ("orders"
// and "orders-eu") or two long names share their first 38 characters; the
// whole name stays within Scheduler's 64.
func ScheduleName(pipeline string, rule int) string {
	return NamePrefix(pipeline) + tag(pipeline) + "-" + strconv.Itoa(rule)
}

// NamePrefix is the prefix Sync lists a pipeline's schedules by. Other
// pipelines' schedules may share it ("shipwave-orders-" also starts
// "shipwave-orders-eu-…"); Owns tells them apart.
func NamePrefix(pipeline string) string {
	return "shipwave-" + sanitize(pipeline, 38) + "-"
}

// Owns reports whether a schedule name is one of pipeline's: its own
// ScheduleName for some rule, or a name from before the tag
// (shipwave-<pipeline>-<rule>, for a pipeline name of at most 48
// characters, which that scheme did not cut), so a sync removes those too.
func Owns(pipeline, name string) bool {
	if rest, ok := strings.CutPrefix(name, NamePrefix(pipeline)+tag(pipeline)+"-"); ok && digits(rest) {
		return true
	}
	if len(pipeline) > 48 {
		return false
	}
	rest, ok := strings.CutPrefix(name, "shipwave-"+sanitize(pipeline, 48)+"-")
	return ok && digits(rest) && sanitize(pipeline, 48) == pipeline
}

func tag(pipeline string) string {
	sum := sha256.Sum256([]byte(pipeline))
	return hex.EncodeToString(sum[:5])
}

func digits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
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
			Name: ScheduleName(p.Name, i), Pipeline: p.Name, Rule: i,
			Expression: c.String(), Timezone: tz, Cron: c, Location: loc,
		})
	}
	return defs, nil
}

// sanitize keeps a pipeline name within Scheduler's name rules
// ([0-9a-zA-Z-_.]) and at most max characters.
func sanitize(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}
