package control_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shipwave/shipwave/shared/golden"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/store"
)

// countingDB counts the write requests the store sends.
type countingDB struct {
	store.DynamoDB
	n atomic.Int64
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.PutItem(ctx, in, opts...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.UpdateItem(ctx, in, opts...)
}

func (c *countingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.DeleteItem(ctx, in, opts...)
}

// TestCostModel measures, from real executions, what one release of one
// target costs for every predefined deployment configuration with both
// hooks: state transitions of the deploy execution and of the whole release,
// and DynamoDB write requests (each item is under 1 KB, so one write request
// is one write unit on demand). The table is pinned in a golden file and
// reproduced in docs/benchmarks.md; a change in cost shows up as a diff.
func TestCostModel(t *testing.T) {
	var b bytes.Buffer
	fmt.Fprintln(&b, "| deployment | deploy transitions | release transitions | DynamoDB writes |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	for _, name := range release.PredefinedNames() {
		w := newWorld(t, "QUEUED", name)
		before := w.writes.n.Load()
		r, x := w.start("v2", "push:orders:main:"+name)
		if res := w.wait(x); res.Status != states.StatusSucceeded {
			t.Fatalf("%s: release %s", name, res.Status)
		}
		child, ok := w.engine.Execution("arn:aws:states:us-east-1:123456789012:execution:shipwave-deploy:" + r.ID + "-s0w0t0")
		if !ok {
			t.Fatal("deploy execution not found")
		}
		deploy, total := entered(child.History()), entered(x.History())+entered(child.History())
		if name == "Canary10Percent5Minutes" && deploy > 40 {
			t.Errorf("%s: %d transitions for one target, want at most 40", name, deploy)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", name, deploy, total, w.writes.n.Load()-before)
	}
	golden.Check(t, filepath.Join("testdata", "costmodel.golden"), b.Bytes())
}

func entered(h []states.HistoryEvent) int {
	n := 0
	for _, ev := range h {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			n++
		}
	}
	return n
}
