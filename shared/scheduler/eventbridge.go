package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	sch "github.com/aws/aws-sdk-go-v2/service/scheduler"
	schtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// API is the part of the EventBridge Scheduler client Syncer uses.
type API interface {
	ListSchedules(ctx context.Context, in *sch.ListSchedulesInput, optFns ...func(*sch.Options)) (*sch.ListSchedulesOutput, error)
	CreateSchedule(ctx context.Context, in *sch.CreateScheduleInput, optFns ...func(*sch.Options)) (*sch.CreateScheduleOutput, error)
	UpdateSchedule(ctx context.Context, in *sch.UpdateScheduleInput, optFns ...func(*sch.Options)) (*sch.UpdateScheduleOutput, error)
	DeleteSchedule(ctx context.Context, in *sch.DeleteScheduleInput, optFns ...func(*sch.Options)) (*sch.DeleteScheduleOutput, error)
}

// Syncer keeps a pipeline's schedules in EventBridge Scheduler equal to its
// definitions. Client, Group (the schedule group), TargetARN (the schedule
// function) and RoleARN (the role Scheduler assumes to invoke it) are
// required.
type Syncer struct {
	Client    API
	Group     string
	TargetARN string
	RoleARN   string
}

// SyncResult names the schedules a sync created, updated and deleted.
type SyncResult struct {
	Created, Updated, Deleted []string
}

// Sync creates the definitions missing from the group, updates those that
// exist and deletes the pipeline's schedules that are no longer defined.
// It lists the group by NamePrefix and touches only the schedules Owns
// says are the pipeline's: another pipeline whose name extends this one's
// ("orders-eu" for "orders") keeps its schedules. A schedule deleted or
// created concurrently is not an error.
func (s *Syncer) Sync(ctx context.Context, pipeline string, defs []Definition) (SyncResult, error) {
	var res SyncResult
	existing := map[string]bool{}
	var token *string
	for {
		out, err := s.Client.ListSchedules(ctx, &sch.ListSchedulesInput{GroupName: aws.String(s.Group), NamePrefix: aws.String(NamePrefix(pipeline)), NextToken: token})
		if err != nil {
			return res, fmt.Errorf("list schedules of %s: %w", pipeline, err)
		}
		for _, sc := range out.Schedules {
			if name := aws.ToString(sc.Name); Owns(pipeline, name) {
				existing[name] = true
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	want := map[string]bool{}
	for _, d := range defs {
		want[d.Name] = true
		target := &schtypes.Target{Arn: aws.String(s.TargetARN), RoleArn: aws.String(s.RoleARN), Input: aws.String(d.Input()),
			RetryPolicy: &schtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(3600)}}
		desc := fmt.Sprintf("Shipwave: %s triggers[%d].schedule", d.Pipeline, d.Rule)
		if existing[d.Name] {
			_, err := s.Client.UpdateSchedule(ctx, &sch.UpdateScheduleInput{
				Name: aws.String(d.Name), GroupName: aws.String(s.Group), ScheduleExpression: aws.String(d.Expression),
				ScheduleExpressionTimezone: aws.String(d.Timezone), Target: target, Description: aws.String(desc),
				FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff}, State: schtypes.ScheduleStateEnabled,
			})
			if err != nil {
				return res, fmt.Errorf("update schedule %s: %w", d.Name, err)
			}
			res.Updated = append(res.Updated, d.Name)
			continue
		}
		_, err := s.Client.CreateSchedule(ctx, &sch.CreateScheduleInput{
			Name: aws.String(d.Name), GroupName: aws.String(s.Group), ScheduleExpression: aws.String(d.Expression),
			ScheduleExpressionTimezone: aws.String(d.Timezone), Target: target, Description: aws.String(desc),
			FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff}, State: schtypes.ScheduleStateEnabled,
		})
		var conflict *schtypes.ConflictException
		if errors.As(err, &conflict) {
			err = nil // created concurrently; the next sync updates it
		}
		if err != nil {
			return res, fmt.Errorf("create schedule %s: %w", d.Name, err)
		}
		res.Created = append(res.Created, d.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(existing)) {
		if want[name] || !Owns(pipeline, name) {
			continue
		}
		_, err := s.Client.DeleteSchedule(ctx, &sch.DeleteScheduleInput{Name: aws.String(name), GroupName: aws.String(s.Group)})
		var missing *schtypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			return res, fmt.Errorf("delete schedule %s: %w", name, err)
		}
		res.Deleted = append(res.Deleted, name)
	}
	return res, nil
}
