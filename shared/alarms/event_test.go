package alarms_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
)

func loadEvent(t testing.TB, path string) events.CloudWatchEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return ev
}

func TestParseStateChangeSamples(t *testing.T) {
	tests := []struct {
		file string
		want alarms.Change
	}{
		{
			file: "../../events/alarm-state-change-alarm.json",
			want: alarms.Change{
				Alarm: "orders-5xx", State: alarms.StateAlarm, Previous: alarms.StateOK,
				Reason:  "Threshold Crossed: 1 out of the last 1 datapoints [17.0 (10/03/26 14:20:00)] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).",
				Time:    time.Date(2026, 3, 10, 14, 21, 7, 405e6, time.UTC),
				Account: "123456789012", Region: "us-east-1",
			},
		},
		{
			file: "../../events/alarm-state-change-ok.json",
			want: alarms.Change{
				Alarm: "orders-5xx", State: alarms.StateOK, Previous: alarms.StateAlarm,
				Reason:  "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (10/03/26 14:30:00)] was not greater than the threshold (5.0) (minimum 1 datapoint for ALARM -> OK transition).",
				Time:    time.Date(2026, 3, 10, 14, 31, 7, 121e6, time.UTC),
				Account: "123456789012", Region: "us-east-1",
			},
		},
		{
			file: "testdata/composite-insufficient.json",
			want: alarms.Change{
				Alarm: "orders-health", State: alarms.StateInsufficientData, Previous: alarms.StateOK,
				Reason:  "Unchecked: Initial alarm creation",
				Time:    time.Date(2026, 3, 11, 8, 0, 2, 1e6, time.UTC),
				Account: "123456789012", Region: "eu-west-1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := alarms.ParseStateChange(loadEvent(t, tt.file))
			if err != nil {
				t.Fatalf("ParseStateChange: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChangeFired(t *testing.T) {
	tests := []struct {
		name     string
		from, to alarms.State
		want     bool
	}{
		{"ok to alarm", alarms.StateOK, alarms.StateAlarm, true},
		{"no data to alarm", alarms.StateInsufficientData, alarms.StateAlarm, true},
		{"alarm to ok", alarms.StateAlarm, alarms.StateOK, false},
		{"alarm to alarm", alarms.StateAlarm, alarms.StateAlarm, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (alarms.Change{Previous: tt.from, State: tt.to}).Fired(); got != tt.want {
				t.Errorf("Fired() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseStateChangeRejects(t *testing.T) {
	base := loadEvent(t, "../../events/alarm-state-change-alarm.json")
	withDetail := func(edit func(d map[string]any)) func(ev *events.CloudWatchEvent) {
		return func(ev *events.CloudWatchEvent) {
			var d map[string]any
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				panic(err)
			}
			edit(d)
			ev.Detail, _ = json.Marshal(d)
		}
	}
	tests := []struct {
		name     string
		edit     func(ev *events.CloudWatchEvent)
		wantText string
	}{
		{"other source", func(ev *events.CloudWatchEvent) { ev.Source = "aws.ec2" }, "source"},
		{"other detail-type", func(ev *events.CloudWatchEvent) { ev.DetailType = "CloudWatch Alarm Configuration Change" }, "detail-type"},
		{"no account", func(ev *events.CloudWatchEvent) { ev.AccountID = "" }, "account"},
		{"no region", func(ev *events.CloudWatchEvent) { ev.Region = "" }, "region"},
		{"no detail", func(ev *events.CloudWatchEvent) { ev.Detail = nil }, "detail is missing"},
		{"detail not an object", func(ev *events.CloudWatchEvent) { ev.Detail = json.RawMessage(`"ALARM"`) }, "detail:"},
		{"no alarm name", withDetail(func(d map[string]any) { delete(d, "alarmName") }), "detail.alarmName"},
		{"alarm name not a string", withDetail(func(d map[string]any) { d["alarmName"] = 7 }), "detail:"},
		{"no state", withDetail(func(d map[string]any) { delete(d, "state") }), "detail.state.value"},
		{"bad state", withDetail(func(d map[string]any) { d["state"].(map[string]any)["value"] = "FIRING" }), `detail.state.value "FIRING"`},
		{"no previous state", withDetail(func(d map[string]any) { delete(d, "previousState") }), "detail.previousState.value"},
		{"bad previous state", withDetail(func(d map[string]any) { d["previousState"].(map[string]any)["value"] = "ok" }), "detail.previousState.value"},
		{"bad timestamp", withDetail(func(d map[string]any) { d["state"].(map[string]any)["timestamp"] = "yesterday" }), "detail.state.timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base
			ev.Detail = append(json.RawMessage(nil), base.Detail...)
			tt.edit(&ev)
			got, err := alarms.ParseStateChange(ev)
			if err == nil {
				t.Fatalf("ParseStateChange = %+v, want error", got)
			}
			if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %v, want ErrInvalid mentioning %q", err, tt.wantText)
			}
		})
	}
}

func FuzzParseStateChange(f *testing.F) {
	for _, p := range []string{"../../events/alarm-state-change-alarm.json", "../../events/alarm-state-change-ok.json", "testdata/composite-insufficient.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("read seed %s: %v", p, err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","account":"1","region":"r","detail":{"alarmName":"a","state":{"value":"OK"},"previousState":{"value":"ALARM"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev events.CloudWatchEvent
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		c, err := alarms.ParseStateChange(ev)
		if err != nil {
			if !errors.Is(err, release.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if c.Alarm == "" || !c.State.Valid() || !c.Previous.Valid() || c.Time.IsZero() || c.Account == "" || c.Region == "" {
			t.Fatalf("accepted an incomplete change %+v", c)
		}
	})
}
