package scheduler_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sch "github.com/aws/aws-sdk-go-v2/service/scheduler"
	schtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/scheduler"
)

// ordersTag is the tag of the pipeline "orders": the first 10 hex digits
// of sha256("orders").
const ordersTag = "1c168adb00"

// schedulerBackend is one implementation of EventBridge Scheduler with a
// fresh, empty schedule group.
type schedulerBackend struct {
	name   string
	client func(t *testing.T) (*sch.Client, string)
}

var schedulerBackends = []schedulerBackend{
	{name: "awsfake", client: func(t *testing.T) (*sch.Client, string) {
		fake := awsfake.NewScheduler(t)
		fake.PageSize = 2 // make Sync follow NextToken
		fake.AddGroup("shipwave-schedules")
		return sch.NewFromConfig(awsfake.Config(fake.URL())), "shipwave-schedules"
	}},
	{name: "moto", client: func(t *testing.T) (*sch.Client, string) {
		client := sch.NewFromConfig(mototest.Config(t))
		group := mototest.Name(t, 64)
		if _, err := client.CreateScheduleGroup(context.Background(), &sch.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
			t.Fatalf("CreateScheduleGroup: %v", err)
		}
		return client, group
	}},
}

func listNames(t *testing.T, client *sch.Client, group string) []string {
	t.Helper()
	var names []string
	p := sch.NewListSchedulesPaginator(client, &sch.ListSchedulesInput{GroupName: aws.String(group)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListSchedules: %v", err)
		}
		for _, s := range out.Schedules {
			names = append(names, aws.ToString(s.Name))
		}
	}
	slices.Sort(names)
	return names
}

// TestSyncContract runs the Syncer against awsfake and against moto: a
// sync of "orders" creates, updates and deletes only orders' schedules,
// never those of "orders-eu" (whose names start with orders' list prefix)
// or of another pipeline, and removes orders' schedules named before the
// tag.
func TestSyncContract(t *testing.T) {
	ctx := context.Background()
	for _, b := range schedulerBackends {
		t.Run(b.name, func(t *testing.T) {
			client, group := b.client(t)
			s := &scheduler.Syncer{
				Client: client, Group: group,
				TargetARN: "arn:aws:lambda:us-east-1:123456789012:function:shipwave-schedule", RoleARN: "arn:aws:iam::123456789012:role/shipwave-scheduler",
			}
			orders, err := scheduler.Definitions(parse(t, nightlySpec))
			if err != nil {
				t.Fatal(err)
			}
			eu, err := scheduler.Definitions(parse(t, strings.Replace(nightlySpec, "pipeline: orders", "pipeline: orders-eu", 1)))
			if err != nil {
				t.Fatal(err)
			}
			if res, err := s.Sync(ctx, "orders-eu", eu); err != nil || len(res.Created) != 2 {
				t.Fatalf("sync orders-eu: %+v, %v; want 2 created", res, err)
			}
			// A schedule of orders from before the tag, and another pipeline's.
			for _, name := range []string{"shipwave-orders-9", "shipwave-other-0"} {
				_, err := client.CreateSchedule(ctx, &sch.CreateScheduleInput{
					Name: aws.String(name), GroupName: aws.String(group), ScheduleExpression: aws.String("rate(1 day)"),
					FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff},
					Target:             &schtypes.Target{Arn: aws.String(s.TargetARN), RoleArn: aws.String(s.RoleARN)},
				})
				if err != nil {
					t.Fatalf("CreateSchedule %s: %v", name, err)
				}
			}
			euNames := []string{eu[0].Name, eu[1].Name}

			res, err := s.Sync(ctx, "orders", orders)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(res.Created, ","), orders[0].Name+","+orders[1].Name; got != want || strings.Join(res.Deleted, ",") != "shipwave-orders-9" || len(res.Updated) != 0 {
				t.Fatalf("first sync of orders: got %+v, want created %s and deleted shipwave-orders-9", res, want)
			}
			got, err := client.GetSchedule(ctx, &sch.GetScheduleInput{Name: aws.String(orders[0].Name), GroupName: aws.String(group)})
			if err != nil {
				t.Fatalf("GetSchedule: %v", err)
			}
			if aws.ToString(got.ScheduleExpression) != "cron(0 2 * * ? *)" || aws.ToString(got.ScheduleExpressionTimezone) != "Europe/Berlin" ||
				aws.ToString(got.Target.Arn) != s.TargetARN || aws.ToString(got.Target.RoleArn) != s.RoleARN || aws.ToString(got.Target.Input) != orders[0].Input() ||
				got.FlexibleTimeWindow == nil || got.FlexibleTimeWindow.Mode != schtypes.FlexibleTimeWindowModeOff {
				t.Errorf("created schedule: expression %s in %s, target %+v, window %+v", aws.ToString(got.ScheduleExpression), aws.ToString(got.ScheduleExpressionTimezone), got.Target, got.FlexibleTimeWindow)
			}

			// The spec drops its weekday schedule.
			res, err = s.Sync(ctx, "orders", orders[:1])
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.Updated, ",") != orders[0].Name || strings.Join(res.Deleted, ",") != orders[1].Name || len(res.Created) != 0 {
				t.Fatalf("second sync of orders: got %+v", res)
			}
			want := append([]string{orders[0].Name, "shipwave-other-0"}, euNames...)
			slices.Sort(want)
			if got := listNames(t, client, group); !slices.Equal(got, want) {
				t.Errorf("schedules after orders' syncs = %v, want %v (orders-eu's and other's untouched)", got, want)
			}

			// orders-eu drops every schedule: orders keeps its own.
			res, err = s.Sync(ctx, "orders-eu", nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.Deleted, ",") != strings.Join(euNames, ",") {
				t.Errorf("sync of orders-eu with no schedules deleted %v, want %v", res.Deleted, euNames)
			}
			if got := listNames(t, client, group); !slices.Equal(got, []string{orders[0].Name, "shipwave-other-0"}) {
				t.Errorf("schedules after orders-eu's sync = %v", got)
			}
		})
	}
}

func TestSyncToleratesConcurrentDelete(t *testing.T) {
	for _, b := range schedulerBackends {
		t.Run(b.name, func(t *testing.T) {
			client, group := b.client(t)
			_, err := client.DeleteSchedule(context.Background(), &sch.DeleteScheduleInput{Name: aws.String(scheduler.ScheduleName("orders", 1)), GroupName: aws.String(group)})
			var missing *schtypes.ResourceNotFoundException
			if !errors.As(err, &missing) {
				t.Errorf("DeleteSchedule of a missing schedule: err = %v, want ResourceNotFoundException (Sync treats it as done)", err)
			}
		})
	}
}

func TestScheduleNames(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct {
		name, pipeline string
		rule           int
		want           string
	}{
		{name: "short", pipeline: "orders", rule: 1, want: "shipwave-orders-" + ordersTag + "-1"},
		{name: "long name is cut, tag kept", pipeline: long, rule: 12, want: "shipwave-" + long[:38] + "-" + scheduler.ScheduleName(long, 0)[48:58] + "-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scheduler.ScheduleName(tt.pipeline, tt.rule)
			if got != tt.want || len(got) > 64 {
				t.Errorf("ScheduleName(%q, %d) = %q (%d chars), want %q within 64", tt.pipeline, tt.rule, got, len(got), tt.want)
			}
			if !scheduler.Owns(tt.pipeline, got) {
				t.Errorf("Owns(%q, %q) = false", tt.pipeline, got)
			}
		})
	}
	owns := []struct {
		pipeline, schedule string
		want               bool
	}{
		{"orders", scheduler.ScheduleName("orders", 3), true},
		{"orders", "shipwave-orders-3", true}, // named before the tag
		{"orders", scheduler.ScheduleName("orders-eu", 3), false},
		{"orders", "shipwave-orders-eu-3", false},
		{"orders-eu", scheduler.ScheduleName("orders", 3), false},
		{"orders", "shipwave-orders-" + ordersTag + "-x", false},
		{long, scheduler.ScheduleName(long+"b", 0), false}, // same first 38 characters
		{long, "shipwave-" + long[:48] + "-0", false},      // the old scheme cut it: not provably its own
	}
	for _, tt := range owns {
		if got := scheduler.Owns(tt.pipeline, tt.schedule); got != tt.want {
			t.Errorf("Owns(%q, %q) = %v, want %v", tt.pipeline, tt.schedule, got, tt.want)
		}
	}
}
