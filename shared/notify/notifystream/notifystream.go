// Package notifystream feeds a notify.Notifier from the Shipwave table's
// DynamoDB stream: the AWS notify function's handler. Each new event-log
// item (an INSERT whose keys store.EventOfKeys recognises) is announced;
// every other record is skipped. A record whose release could not be read
// (or whose deliveries could not be claimed) is reported as the batch's failure, so Lambda retries from it (claims
// keep what was already sent from being sent again); deliveries that fail
// are the Notifier's to retry and log, never the stream's.
package notifystream

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/store"
)

// Announcer announces one event of a release (notify.Notifier is one).
type Announcer interface {
	// Announce returns an error only when what it reads could not be
	// read: calling it again is safe.
	Announce(ctx context.Context, releaseID string, seq int64) error
}

var _ Announcer = (*notify.Notifier)(nil)

// Handler handles a batch of stream records.
type Handler struct {
	Notifier Announcer
	Logger   *slog.Logger
}

// Handle announces the batch's new events in order. On the first failure
// it stops and reports that record (ReportBatchItemFailures), so the
// records after it come again, in order.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, r := range ev.Records {
		id, seq, ok := eventOf(r)
		if !ok {
			continue
		}
		if err := h.Notifier.Announce(ctx, id, seq); err != nil {
			h.log().WarnContext(ctx, "notify: announcing failed; the stream retries from this record",
				"releaseId", id, "seq", seq, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			return resp, nil
		}
	}
	return resp, nil
}

// eventOf is the release event a record adds, if it adds one.
func eventOf(r events.DynamoDBEventRecord) (string, int64, bool) {
	if events.DynamoDBOperationType(r.EventName) != events.DynamoDBOperationTypeInsert {
		return "", 0, false
	}
	pk, sk := r.Change.Keys[store.AttrPK], r.Change.Keys[store.AttrSK]
	if pk.DataType() != events.DataTypeString || sk.DataType() != events.DataTypeString {
		return "", 0, false
	}
	return store.EventOfKeys(pk.String(), sk.String())
}

func (h *Handler) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
