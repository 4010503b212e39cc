package alarms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/release"
)

// DetailType is the EventBridge detail-type of alarm state changes.
const DetailType = "CloudWatch Alarm State Change"

// EventSource is the EventBridge source of CloudWatch events.
const EventSource = "aws.cloudwatch"

// Change is one alarm state change.
type Change struct {
	Alarm    string    `json:"alarm"`
	State    State     `json:"state"`
	Previous State     `json:"previous"`
	Reason   string    `json:"reason,omitempty"`
	Time     time.Time `json:"time"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
}

// Fired reports whether the change put the alarm into ALARM.
func (c Change) Fired() bool { return c.State == StateAlarm && c.Previous != StateAlarm }

type stateDetail struct {
	Value     *string `json:"value"`
	Reason    string  `json:"reason"`
	Timestamp string  `json:"timestamp"`
}

type changeDetail struct {
	AlarmName     *string      `json:"alarmName"`
	State         *stateDetail `json:"state"`
	PreviousState *stateDetail `json:"previousState"`
}

// stateTimeLayout is how CloudWatch writes state timestamps in these events,
// e.g. 2026-01-02T03:04:05.678+0000.
const stateTimeLayout = "2006-01-02T15:04:05.000-0700"

// ParseStateChange reads an EventBridge "CloudWatch Alarm State Change"
// event. It is strict: the source and detail-type must be CloudWatch's, and
// the account, region, alarm name and both state values must be present and
// valid; the first problem is returned as an ErrInvalid-kind error naming
// the field. Time is the new state's timestamp, or the event's time when the
// detail carries none.
func ParseStateChange(ev events.CloudWatchEvent) (Change, error) {
	bad := func(format string, args ...any) (Change, error) {
		return Change{}, release.Errorf(release.ErrInvalid, "alarm state change %s: %s", ev.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case ev.Source != EventSource:
		return bad("source is %q, want %q", ev.Source, EventSource)
	case ev.DetailType != DetailType:
		return bad("detail-type is %q, want %q", ev.DetailType, DetailType)
	case ev.AccountID == "":
		return bad("account is missing")
	case ev.Region == "":
		return bad("region is missing")
	case len(bytes.TrimSpace(ev.Detail)) == 0:
		return bad("detail is missing")
	}
	var d changeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return bad("detail: %v", err)
	}
	switch {
	case d.AlarmName == nil || *d.AlarmName == "":
		return bad("detail.alarmName is missing")
	case d.State == nil || d.State.Value == nil:
		return bad("detail.state.value is missing")
	case !State(*d.State.Value).Valid():
		return bad("detail.state.value %q is not OK, ALARM or INSUFFICIENT_DATA", *d.State.Value)
	case d.PreviousState == nil || d.PreviousState.Value == nil:
		return bad("detail.previousState.value is missing")
	case !State(*d.PreviousState.Value).Valid():
		return bad("detail.previousState.value %q is not OK, ALARM or INSUFFICIENT_DATA", *d.PreviousState.Value)
	}
	c := Change{
		Alarm:    *d.AlarmName,
		State:    State(*d.State.Value),
		Previous: State(*d.PreviousState.Value),
		Reason:   d.State.Reason,
		Time:     ev.Time.UTC(),
		Account:  ev.AccountID,
		Region:   ev.Region,
	}
	if d.State.Timestamp != "" {
		ts, err := parseStateTime(d.State.Timestamp)
		if err != nil {
			return bad("detail.state.timestamp %q: %v", d.State.Timestamp, err)
		}
		c.Time = ts
	}
	if c.Time.IsZero() {
		return bad("neither detail.state.timestamp nor time is set")
	}
	return c, nil
}

func parseStateTime(s string) (time.Time, error) {
	for _, layout := range []string{stateTimeLayout, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp like 2026-01-02T03:04:05.678+0000")
}
