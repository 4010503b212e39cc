package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// appendAttempts bounds AppendEvent's retries; each failed attempt means
// another writer appended, so the log is moving and only a crowd of writers
// far larger than a release ever has can exhaust it.
const appendAttempts = 500

// AppendEvent adds ev to the end of its release's log and returns it with Seq
// set to one more than the last entry (from 1) and, if it was zero, Time
// from the clock, raised to the previous entry's time if it is earlier (so
// time never goes backwards against Seq); ev.Seq is ignored. The entry is a conditional put of the
// next sequence number; when a concurrent writer takes it, AppendEvent
// re-reads the end of the log after a jittered pause and tries again, so
// sequence numbers have no gaps and no duplicates. Errors:
// release.ErrInvalid for a missing release id or type, release.ErrConflict
// when it keeps losing.
func (s *Store) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	if err := accept.Event(ev); err != nil {
		return release.Event{}, err
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	ev.Time = ev.Time.UTC()
	item := eventItem{
		PK: releaseKey(ev.ReleaseID), Type: typeEvent, ReleaseID: ev.ReleaseID,
		Time: formatTime(ev.Time), EventType: string(ev.Type),
		Stage: ev.Stage, Wave: ev.Wave, Target: ev.Target, Message: ev.Message, Data: string(ev.Data),
	}
	last, lastTime, err := s.lastEvent(ctx, ev.ReleaseID)
	if err != nil {
		return release.Event{}, fmt.Errorf("append %s event to release %s: %w", ev.Type, ev.ReleaseID, err)
	}
	for attempt := 0; attempt < appendAttempts; attempt++ {
		// Time never goes backwards against seq: writers whose clocks (or
		// whose moment of reading them) differ are ordered by the log.
		if ev.Time.Before(lastTime) {
			ev.Time = lastTime
		}
		item.Time = formatTime(ev.Time)
		item.Seq = last + 1
		item.SK = eventSK(item.Seq)
		err = s.put(ctx, item, "attribute_not_exists(PK)", nil)
		if err == nil {
			ev.Seq = item.Seq
			return ev, nil
		}
		if !conditionFailed(err) {
			return release.Event{}, fmt.Errorf("append %s event %d to release %s: %w", ev.Type, item.Seq, ev.ReleaseID, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return release.Event{}, fmt.Errorf("append %s event to release %s: %w", ev.Type, ev.ReleaseID, err)
		}
		// Another writer took last+1: read the end of the log again, with
		// its time.
		if last, lastTime, err = s.lastEvent(ctx, ev.ReleaseID); err != nil {
			return release.Event{}, fmt.Errorf("append %s event to release %s: %w", ev.Type, ev.ReleaseID, err)
		}
	}
	return release.Event{}, release.Errorf(release.ErrConflict, "append %s event to release %s: lost the race for the next sequence number %d times", ev.Type, ev.ReleaseID, appendAttempts)
}

// lastEvent returns the sequence number and time of the release's newest
// event: 0 and the zero time for an empty log.
func (s *Store) lastEvent(ctx context.Context, releaseID string) (int64, time.Time, error) {
	items, err := queryAll[eventItem](ctx, s, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :event)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(releaseKey(releaseID)), ":event": str("EVENT#"),
		},
		ExpressionAttributeNames: map[string]string{"#time": "time"},
		ProjectionExpression:     aws.String("seq, #time"),
		ScanIndexForward:         aws.Bool(false),
		Limit:                    aws.Int32(1),
		ConsistentRead:           aws.Bool(true),
	}, 1)
	if err != nil || len(items) == 0 {
		return 0, time.Time{}, err
	}
	t, err := parseTime(items[0].Time)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("event %d time: %w", items[0].Seq, err)
	}
	return items[0].Seq, t, nil
}

// Events returns the release's log entries with Seq greater than afterSeq,
// in order, at most limit of them (all when limit is 0 or less).
func (s *Store) Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error) {
	if err := accept.Name("events", "release id", releaseID); err != nil {
		return nil, err
	}
	if afterSeq < 0 {
		afterSeq = 0
	}
	in := &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(releaseKey(releaseID)),
			":from": str(eventSK(afterSeq + 1)),
			":to":   str(eventSK(math.MaxInt64)),
		},
		ConsistentRead: aws.Bool(true),
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, math.MaxInt32)))
	}
	items, err := queryAll[eventItem](ctx, s, in, limit)
	if err != nil {
		return nil, fmt.Errorf("events of release %s after %d: %w", releaseID, afterSeq, err)
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	out := make([]release.Event, 0, len(items))
	for _, it := range items {
		t, err := parseTime(it.Time)
		if err != nil {
			return nil, fmt.Errorf("events of release %s: event %d time: %w", releaseID, it.Seq, err)
		}
		ev := release.Event{
			ReleaseID: it.ReleaseID, Seq: it.Seq, Time: t, Type: release.EventType(it.EventType),
			Stage: it.Stage, Wave: it.Wave, Target: it.Target, Message: it.Message,
		}
		if it.Data != "" {
			ev.Data = json.RawMessage(it.Data)
		}
		out = append(out, ev)
	}
	return out, nil
}
