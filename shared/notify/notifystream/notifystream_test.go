package notifystream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/notify/notifystream"
)

type announceFunc func(ctx context.Context, id string, seq int64) error

func (f announceFunc) Announce(ctx context.Context, id string, seq int64) error {
	return f(ctx, id, seq)
}

// record is a stream record of the table with the given keys.
func record(t *testing.T, name, pk, sk, seqNo string) events.DynamoDBEventRecord {
	t.Helper()
	raw := fmt.Sprintf(`{"eventName":%q,"dynamodb":{"Keys":{"PK":{"S":%q},"SK":{"S":%q}},"SequenceNumber":%q}}`, name, pk, sk, seqNo)
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHandle(t *testing.T) {
	ev := func(seq int) string { return fmt.Sprintf("EVENT#%020d", seq) }
	tests := []struct {
		name         string
		records      []events.DynamoDBEventRecord
		failOn       int64 // Announce fails for this seq
		wantAnnounce []string
		wantFailed   []string
	}{
		{"new events in order", []events.DynamoDBEventRecord{
			record(t, "INSERT", "RELEASE#01R", ev(1), "100"), record(t, "INSERT", "RELEASE#01R", ev(2), "101"),
		}, 0, []string{"01R/1", "01R/2"}, nil},
		{"other items and changes skipped", []events.DynamoDBEventRecord{
			record(t, "INSERT", "RELEASE#01R", "RELEASE", "100"), record(t, "MODIFY", "RELEASE#01R", ev(3), "101"),
			record(t, "REMOVE", "RELEASE#01R", ev(4), "102"), record(t, "INSERT", "LOCK#t", "LOCK", "103"),
			record(t, "INSERT", "RELEASE#01R", ev(5), "104"),
		}, 0, []string{"01R/5"}, nil},
		{"a failure stops the batch at its record", []events.DynamoDBEventRecord{
			record(t, "INSERT", "RELEASE#01R", ev(1), "100"), record(t, "INSERT", "RELEASE#01R", ev(2), "101"),
			record(t, "INSERT", "RELEASE#01R", ev(3), "102"),
		}, 2, []string{"01R/1", "01R/2"}, []string{"101"}},
		{"keys of another type skipped", []events.DynamoDBEventRecord{{EventName: "INSERT"}}, 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			h := &notifystream.Handler{Notifier: announceFunc(func(_ context.Context, id string, seq int64) error {
				got = append(got, fmt.Sprintf("%s/%d", id, seq))
				if seq == tt.failOn {
					return errors.New("ProvisionedThroughputExceededException")
				}
				return nil
			})}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tt.records})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !slices.Equal(got, tt.wantAnnounce) || !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("announced %v, failed %v; want %v, %v", got, failed, tt.wantAnnounce, tt.wantFailed)
			}
		})
	}
}
