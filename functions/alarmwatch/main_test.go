package main

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/control"
)

type watcherFunc func(ctx context.Context, c alarms.Change) (control.AlarmResult, error)

func (f watcherFunc) AlarmChanged(ctx context.Context, c alarms.Change) (control.AlarmResult, error) {
	return f(ctx, c)
}

// readEvent reads events/name, refusing a field the event type lacks.
func readEvent(t *testing.T, name string) events.CloudWatchEvent {
	return wiringtest.Sample[events.CloudWatchEvent](t, name)
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name      string
		event     events.CloudWatchEvent
		wantAlarm string
		wantState alarms.State
		wantErr   bool
	}{
		{name: "alarm", event: readEvent(t, "alarm-state-change-alarm.json"), wantAlarm: "orders-5xx", wantState: alarms.StateAlarm},
		{name: "ok", event: readEvent(t, "alarm-state-change-ok.json"), wantAlarm: "orders-5xx", wantState: alarms.StateOK},
		{name: "not an alarm event", event: readEvent(t, "sfn-execution-aborted.json"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got alarms.Change
			called := false
			h := handle(watcherFunc(func(_ context.Context, c alarms.Change) (control.AlarmResult, error) {
				called, got = true, c
				return control.AlarmResult{Alarm: c.Alarm}, nil
			}))
			_, err := h(context.Background(), tt.event)
			if tt.wantErr {
				var inv *control.InvalidInput
				if !errors.As(err, &inv) || called {
					t.Fatalf("err = %v, called = %v; want *control.InvalidInput and no call", err, called)
				}
				return
			}
			if err != nil || got.Alarm != tt.wantAlarm || got.State != tt.wantState {
				t.Errorf("change = %+v, %v; want alarm %s state %s", got, err, tt.wantAlarm, tt.wantState)
			}
		})
	}
}

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME")
}
