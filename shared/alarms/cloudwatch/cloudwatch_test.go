package cloudwatch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/alarms/cloudwatch"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

func newSource(t testing.TB) (*awsfake.CloudWatch, *cloudwatch.Source) {
	t.Helper()
	fake := awsfake.NewCloudWatch(t)
	return fake, cloudwatch.New(cw.NewFromConfig(awsfake.Config(fake.URL())))
}

func TestStatesMetricAndComposite(t *testing.T) {
	fake, src := newSource(t)
	fake.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "OK"})
	fake.PutAlarm(awsfake.Alarm{Name: "orders-p99", State: "ALARM", Reason: "p99 above 300ms"})
	fake.PutAlarm(awsfake.Alarm{Name: "orders-health", Composite: true, State: "INSUFFICIENT_DATA"})
	fake.PutAlarm(awsfake.Alarm{Name: "unrelated", State: "ALARM"})

	got, err := src.States(context.Background(), []string{"orders-5xx", "orders-p99", "orders-health", "orders-gone", "orders-5xx", ""})
	if err != nil {
		t.Fatalf("States: %v", err)
	}
	want := map[string]alarms.State{"orders-5xx": alarms.StateOK, "orders-p99": alarms.StateAlarm, "orders-health": alarms.StateInsufficientData}
	if len(got) != len(want) {
		t.Errorf("States = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("States[%s] = %q, want %q", k, got[k], v)
		}
	}
	reqs := fake.Requests("DescribeAlarms")
	if len(reqs) != 1 {
		t.Fatalf("got %d DescribeAlarms calls, want 1", len(reqs))
	}
	if n := len(reqs[0].Params["AlarmNames"].([]any)); n != 4 {
		t.Errorf("sent %d alarm names, want 4 (duplicates and empty names dropped)", n)
	}
	if types := fmt.Sprint(reqs[0].Params["AlarmTypes"]); !strings.Contains(types, "CompositeAlarm") || !strings.Contains(types, "MetricAlarm") {
		t.Errorf("AlarmTypes = %s, want both metric and composite", types)
	}
}

func TestStatesBatchesOf100(t *testing.T) {
	fake, src := newSource(t)
	var names []string
	for i := range 250 {
		n := fmt.Sprintf("alarm-%03d", i)
		names = append(names, n)
		composite := i%5 == 0
		fake.PutAlarm(awsfake.Alarm{Name: n, Composite: composite, State: "OK"})
	}
	got, err := src.States(context.Background(), names)
	if err != nil {
		t.Fatalf("States: %v", err)
	}
	if len(got) != 250 {
		t.Errorf("got %d states, want 250", len(got))
	}
	reqs := fake.Requests("DescribeAlarms")
	// The SDK may retry a call the loopback dropped: count distinct batches.
	batches := map[string]bool{}
	for _, r := range reqs {
		batches[fmt.Sprint(r.Params["AlarmNames"])] = true
	}
	if len(batches) != 3 {
		t.Errorf("got %d distinct DescribeAlarms batches (in %d calls), want 3 (100+100+50)", len(batches), len(reqs))
	}
	for i, r := range reqs {
		if n := len(r.Params["AlarmNames"].([]any)); n > cloudwatch.BatchSize {
			t.Errorf("call %d sent %d names, want at most %d", i, n, cloudwatch.BatchSize)
		}
	}
}

func TestStatesFollowsNextToken(t *testing.T) {
	fake, src := newSource(t)
	fake.LimitPages(7)
	var names []string
	for i := range 120 {
		n := fmt.Sprintf("alarm-%03d", i)
		names = append(names, n)
		fake.PutAlarm(awsfake.Alarm{Name: n, Composite: i%3 == 0, State: "ALARM"})
	}
	got, err := src.States(context.Background(), names)
	if err != nil {
		t.Fatalf("States: %v", err)
	}
	if len(got) != 120 {
		t.Errorf("got %d states, want 120", len(got))
	}
	// 100 names in pages of 7 is 15 calls, then 20 names is 3 more.
	if n := len(fake.Requests("DescribeAlarms")); n != 18 {
		t.Errorf("got %d DescribeAlarms calls, want 18", n)
	}
}

func TestPreflightThroughCloudWatch(t *testing.T) {
	fake, src := newSource(t)
	fake.PutAlarm(awsfake.Alarm{Name: "orders-5xx", State: "OK"})
	fake.PutAlarm(awsfake.Alarm{Name: "orders-health", Composite: true, State: "ALARM"})
	err := alarms.Preflight(context.Background(), src, []string{"orders-5xx", "orders-health", "orders-typo"})
	var nr *alarms.NotReady
	if !errors.As(err, &nr) {
		t.Fatalf("Preflight = %v, want *NotReady", err)
	}
	if got := err.Error(); !strings.Contains(got, "orders-health is in ALARM") || !strings.Contains(got, "orders-typo does not exist") || strings.Contains(got, "orders-5xx") {
		t.Errorf("Preflight error = %q, want it to name exactly the bad alarms", got)
	}
	if !errors.Is(err, release.ErrConflict) {
		t.Errorf("Preflight error is not ErrConflict")
	}
}

func TestStatesRetriesAndFails(t *testing.T) {
	tests := []struct {
		name         string
		inject       func(f *awsfake.CloudWatch)
		wantErr      string
		wantAttempts int
	}{
		{name: "throttled twice", inject: func(f *awsfake.CloudWatch) { f.Throttle("DescribeAlarms", 2) }, wantAttempts: 3},
		{name: "500 once", inject: func(f *awsfake.CloudWatch) { f.FailServer("DescribeAlarms", 1) }, wantAttempts: 2},
		{name: "persistent 500", inject: func(f *awsfake.CloudWatch) { f.FailServer("DescribeAlarms", 0) }, wantErr: "InternalServiceFault", wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, src := newSource(t)
			fake.PutAlarm(awsfake.Alarm{Name: "a", State: "OK"})
			tt.inject(fake)
			got, err := src.States(context.Background(), []string{"a"})
			if n := len(fake.Requests("DescribeAlarms")); n != tt.wantAttempts {
				t.Errorf("got %d attempts, want %d", n, tt.wantAttempts)
			}
			if tt.wantErr == "" {
				if err != nil || got["a"] != alarms.StateOK {
					t.Fatalf("States = %v, %v; want a=OK", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "describe alarms") {
				t.Errorf("States error = %v, want context and %s", err, tt.wantErr)
			}
		})
	}
}
