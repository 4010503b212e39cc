package store_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/store/storetest"
)

// TestItemShapes pins the stored form of every item family, so a change to
// storage is a deliberate one (rerun with -update and review the diff).
func TestItemShapes(t *testing.T) {
	n := 0
	ids := func() string { n++; return fmt.Sprintf("01JREL%020d", n) }
	e := newEnv(t, store.WithIDs(ids))
	ctx := storetest.Ctx(t)
	now := e.clock.Now()

	if _, err := e.store.SaveSpec(ctx, storetest.SpecFor("orders", "orders-api", "orders-ecr")); err != nil {
		t.Fatal(err)
	}
	r := storetest.NewRelease("orders", "push-1")
	r.Trigger.Time = now
	r = mustCreate(t, e, r)
	ended := mustCreate(t, e, storetest.NewRelease("orders", "push-2"))
	if _, err := e.store.TransitionRelease(ctx, ended.ID, release.StatusCancelled, "superseded by hand"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetExecution(ctx, r.ID, "arn:aws:states:us-east-1:123456789012:execution:release:"+r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AppendEvent(ctx, release.Event{ReleaseID: r.ID, Type: release.EventTrafficShifted, Stage: "prod", Wave: "one-box", Target: "orders-live", Message: "10%", Data: json.RawMessage(`{"weight":10}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AcquireLock(ctx, "orders-live", r.ID, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutTaskToken(ctx, bakeToken("token-1", r.ID, now, time.Hour, "orders-5xx", "orders-p99")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.ClaimIdempotencyKey(ctx, "github:delivery-1", r.ID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := e.store.StartSyntheticRun(ctx, "orders-live", "run-1", now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.AddSyntheticSent(ctx, "orders-live", "run-1", 42); err != nil {
		t.Fatal(err)
	}

	got := renderTable(t, e.client, e.table)
	golden.Check(t, filepath.Join("testdata", "items.golden"), got)
}

// renderTable scans the whole table into DynamoDB JSON, one item per array
// element, sorted by key.
func renderTable(t testing.TB, client *dynamodb.Client, table string) []byte {
	t.Helper()
	var items []map[string]any
	var start map[string]types.AttributeValue
	for {
		out, err := client.Scan(storetest.Ctx(t), &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for _, it := range out.Items {
			m := map[string]any{}
			for k, v := range it {
				m[k] = wire(v)
			}
			items = append(items, m)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	keyOf := func(m map[string]any) string {
		return fmt.Sprint(m["PK"]) + "\x00" + fmt.Sprint(m["SK"])
	}
	sort.Slice(items, func(i, j int) bool { return keyOf(items[i]) < keyOf(items[j]) })
	// One attribute per line, attributes sorted, so diffs read well.
	var b bytes.Buffer
	for _, it := range items {
		names := make([]string, 0, len(it))
		for k := range it {
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("{\n")
		for i, k := range names {
			v, err := json.Marshal(it[k])
			if err != nil {
				t.Fatal(err)
			}
			sep := ","
			if i == len(names)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  %q: %s%s\n", k, v, sep)
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// wire is an attribute value as DynamoDB's JSON protocol writes it.
func wire(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberL:
		var l []any
		for _, e := range v.Value {
			l = append(l, wire(e))
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		m := map[string]any{}
		for k, e := range v.Value {
			m[k] = wire(e)
		}
		return map[string]any{"M": m}
	}
	return fmt.Sprintf("unknown %T", v)
}
