package template_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/rules"
)

// TestStreamFeedsNotify: the table's stream carries new images; its one
// event source mapping invokes the function that handles stream records
// (functions/notify), with the failure handling a stream needs; its filter
// passes exactly the event types notify announces, names the attributes
// the store writes on an event item (shared/store's golden items), and
// matches the events/ sample, while other items and changes do not pass.
func TestStreamFeedsNotify(t *testing.T) {
	tp := load(t)
	if got := path(tp.resources["Table"].Properties, "StreamSpecification", "StreamViewType"); got != "NEW_IMAGE" {
		t.Errorf("Table StreamViewType = %v, want NEW_IMAGE (the filter reads the new image)", got)
	}
	maps := tp.ofType("AWS::Lambda::EventSourceMapping")
	if len(maps) != 1 {
		t.Fatalf("template has %d event source mappings, want 1", len(maps))
	}
	p := maps[0].Properties
	targets := buildTargets(t)
	fn := describe(path(p, "FunctionName", "Ref"))
	if targets[fn] != "notify" {
		t.Errorf("%s invokes %s (functions/%s), want the notify function", maps[0].ID, fn, targets[fn])
	}
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"EventSourceArn", p["EventSourceArn"], `{"Fn::GetAtt":["Table","StreamArn"]}`},
		{"FunctionResponseTypes", p["FunctionResponseTypes"], `["ReportBatchItemFailures"]`},
		{"BisectBatchOnFunctionError", p["BisectBatchOnFunctionError"], `true`},
		{"DestinationConfig", path(p, "DestinationConfig", "OnFailure", "Destination"), `{"Fn::GetAtt":["DeadLetterQueue","Arn"]}`},
		{"StartingPosition", p["StartingPosition"], `"LATEST"`},
	}
	for _, c := range checks {
		if g := canonical(t, c.got); g != c.want {
			t.Errorf("%s %s = %s, want %s", maps[0].ID, c.name, g, c.want)
		}
	}
	if n, ok := p["MaximumRetryAttempts"].(int); !ok || n < 1 || n > 100 {
		t.Errorf("MaximumRetryAttempts = %v, want a bound (a record that keeps failing must not hold its shard for a day)", p["MaximumRetryAttempts"])
	}

	filters := list(path(p, "FilterCriteria", "Filters"))
	if len(filters) != 1 {
		t.Fatalf("FilterCriteria has %d filters, want 1", len(filters))
	}
	raw, _ := path(filters[0], "Pattern").(string)
	var pattern struct {
		EventName []string `json:"eventName"`
		Dynamodb  struct {
			NewImage map[string]struct {
				S []string `json:"S"`
			} `json:"NewImage"`
		} `json:"dynamodb"`
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pattern); err != nil {
		t.Fatalf("filter pattern %s: %v", raw, err)
	}
	var want []string
	for _, typ := range notify.EventTypes() {
		want = append(want, string(typ))
	}
	got := slices.Clone(pattern.Dynamodb.NewImage["eventType"].S)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("filter passes event types %v, notify announces %v", got, want)
	}

	// The attributes the filter names are those of a stored event item.
	golden, err := os.ReadFile(filepath.Join(root, "shared", "store", "testdata", "items.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var eventItem map[string]map[string]any
	for dec := json.NewDecoder(bytes.NewReader(golden)); dec.More(); {
		var item map[string]map[string]any
		if err := dec.Decode(&item); err != nil {
			t.Fatalf("items.golden: %v", err)
		}
		if sk, _ := item["SK"]["S"].(string); strings.HasPrefix(sk, "EVENT#") {
			eventItem = item
		}
	}
	if eventItem == nil {
		t.Fatal("items.golden has no event item")
	}
	for attr, values := range pattern.Dynamodb.NewImage {
		if _, ok := eventItem[attr]["S"].(string); !ok {
			t.Errorf("the filter reads NewImage.%s, which a stored event item has no string attribute for: %v", attr, eventItem)
		}
		if attr == "type" && !slices.Contains(values.S, eventItem["type"]["S"].(string)) {
			t.Errorf("the filter wants type %v, a stored event item has %v", values.S, eventItem["type"])
		}
	}

	compiled, err := rules.Compile([]byte(raw))
	if err != nil {
		t.Fatalf("filter pattern: %v", err)
	}
	sample, err := os.ReadFile(filepath.Join(root, "events", "dynamodb-event-log-insert.json"))
	if err != nil {
		t.Fatal(err)
	}
	var batch struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(sample, &batch); err != nil || len(batch.Records) == 0 {
		t.Fatalf("events/dynamodb-event-log-insert.json: %v", err)
	}
	rec := batch.Records[0]
	if !compiled.MatchValue(rec) {
		t.Errorf("the filter does not pass the sample's record: %v", rec)
	}
	for name, change := range map[string]func(map[string]any){
		"a modified item": func(r map[string]any) { r["eventName"] = "MODIFY" },
		"a silent event":  func(r map[string]any) { setS(r, "eventType", "BakeStarted") },
		"a release item":  func(r map[string]any) { setS(r, "type", "release") },
		"an image without type": func(r map[string]any) {
			delete(r["dynamodb"].(map[string]any)["NewImage"].(map[string]any), "type")
		},
	} {
		var r map[string]any
		b, _ := json.Marshal(rec)
		_ = json.Unmarshal(b, &r)
		change(r)
		if compiled.MatchValue(r) {
			t.Errorf("the filter passes %s", name)
		}
	}
}

func setS(record map[string]any, attr, value string) {
	record["dynamodb"].(map[string]any)["NewImage"].(map[string]any)[attr] = map[string]any{"S": value}
}
