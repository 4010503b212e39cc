package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/synthetic"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME", "AWS_LAMBDA_FUNCTION_NAME")
}

// TestWiredHandler: the handler built from the environment takes the job
// the bake function sends (a selfinvoke envelope), invokes the target's
// versions through the SDK's default configuration (awsfake Lambda) with
// the job's payload, counts them in the run's item of the table TABLE_NAME
// names, and, its invocation's deadline near, hands the run to a new
// asynchronous invocation of AWS_LAMBDA_FUNCTION_NAME. Anything but a job
// is refused.
func TestWiredHandler(t *testing.T) {
	fn := awsfake.NewLambda(t)
	fn.AddFunction("orders", "sha-1")
	fn.Publish("orders", "v1")
	fn.UpdateCode("orders", "sha-2")
	fn.Publish("orders", "v2")
	fn.AddFunction("shipwave-synthetic", "sha-s")
	env := wiringtest.New(t, map[string]string{"LAMBDA": fn.URL()})
	env.Vars["AWS_LAMBDA_FUNCTION_NAME"] = "shipwave-synthetic"
	h := wiringtest.Build(t, env, newHandler)

	ctx := context.Background()
	until := time.Now().Add(time.Hour).UTC()
	if err := env.Store.StartSyntheticRun(ctx, "orders-live", "run-1", until); err != nil {
		t.Fatal(err)
	}
	job := synthetic.Job{Target: "orders-live", Function: "orders", Candidate: "2", Baseline: "1", RPS: 2, Until: until, RunID: "run-1", Event: json.RawMessage(`{"probe":true}`)}
	b, _ := json.Marshal(job)
	payload, _ := json.Marshal(map[string]any{"shipwaveJob": synthetic.JobKind, "job": json.RawMessage(b)})
	// A burst or two fit before the hand-over is due (real seconds' ticks).
	lctx, cancel := context.WithDeadline(ctx, time.Now().Add(synthetic.DefaultMargin+1500*time.Millisecond))
	defer cancel()
	if out, err := h(lctx, payload); err != nil || out != nil {
		t.Fatalf("job = %v, %v; want it run, no answer", out, err)
	}

	var versions []string
	var chained []awsfake.Request
	for _, req := range fn.Requests("Invoke") {
		switch req.Params["FunctionName"] {
		case "orders":
			versions = append(versions, req.Params["Qualifier"].(string))
			if req.Params["Payload"] != `{"probe":true}` {
				t.Errorf("payload %v, want the job's event", req.Params["Payload"])
			}
		case "shipwave-synthetic":
			chained = append(chained, req)
		}
	}
	per := map[string]int{}
	for _, v := range versions {
		per[v]++
	}
	if len(versions) == 0 || len(versions)%2 != 0 || per["1"] != per["2"] || per["1"]+per["2"] != len(versions) {
		t.Errorf("versions invoked %v, want whole bursts of 2: versions 1 and 2 alike", versions)
	}
	if len(chained) != 1 || chained[0].Params["InvocationType"] != "Event" {
		t.Fatalf("chained %v, want one asynchronous invocation of shipwave-synthetic", chained)
	}
	sent, running, err := env.Store.StopSyntheticRun(ctx, "orders-live")
	if err != nil || !running || sent != int64(len(versions)) {
		t.Errorf("the run's count = %d (running %v, %v), want the %d served", sent, running, err, len(versions))
	}
	if _, err := h(ctx, json.RawMessage(`{"rawPath":"/"}`)); err == nil {
		t.Error("an event that is not a job was accepted")
	}
	env.CheckLogged(t, "synthetic")
}
