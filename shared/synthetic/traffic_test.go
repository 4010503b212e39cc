package synthetic_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/selfinvoke"
	"github.com/shipwave/shipwave/shared/store/storetest"
	"github.com/shipwave/shipwave/shared/synthetic"
	"github.com/shipwave/shipwave/shared/traffic"
)

// bakeOf is a 10% analysis step's bake on target, asking for synthetic
// traffic at 4 rps with a payload.
func bakeOf(releaseID string, target release.Target) control.BakeInput {
	step := control.StepInput{Weight: 10, BakeSeconds: 300, Analysis: &release.Analysis{
		Metrics:   []release.AnalysisMetric{{Name: "latency"}},
		Synthetic: &release.SyntheticTraffic{MaxRPS: 4, Event: json.RawMessage(`{"probe":true}`)},
	}}
	return control.BakeInput{StepTask: control.StepTask{
		TargetTask: control.TargetTask{ReleaseID: releaseID, Pipeline: "orders", Stage: "prod", Wave: "one-box", Target: target},
		Split:      traffic.Split{Stable: "1", Candidate: "2", Weight: 10}, Step: step,
	}, Token: "token-" + target.Name, Seconds: 300}
}

// TestBakeStartsAndStopsTheSyntheticFunction: on AWS, the bake of a quiet
// Lambda alias target's analysis step starts the synthetic function (an
// asynchronous invocation carrying the versions, the spec's rps and
// payload, and the bake's end), the sender it runs counts into the run's
// item, and the bake's check stops it and logs that count. An ALB target
// gets a note instead, and nothing is invoked.
func TestBakeStartsAndStopsTheSyntheticFunction(t *testing.T) {
	r := newRig(t)
	ctx := storetest.Ctx(t)
	client := lambda.NewFromConfig(awsfake.Config(r.fake.URL()))
	tr := &synthetic.Traffic{Runs: r.store, Starter: selfinvoke.Sender{Client: client, Function: "shipwave-synthetic", Kind: synthetic.JobKind}, IDs: func() string { return "run-7" }}
	svc := &control.Service{Store: r.store, Synthetic: tr, Now: r.clock.Now}
	rel, _, err := r.store.CreateRelease(ctx, storetest.NewRelease("orders", "push-1"))
	if err != nil {
		t.Fatal(err)
	}
	target := release.Target{Name: "orders-live", Type: release.TargetLambdaAlias, Function: "orders", Alias: "live"}
	in := bakeOf(rel.ID, target)
	if _, err := svc.RegisterBake(ctx, in); err != nil {
		t.Fatal(err)
	}
	var starts []awsfake.Request
	for _, req := range r.fake.Requests("Invoke") {
		if req.Params["FunctionName"] == "shipwave-synthetic" {
			starts = append(starts, req)
		}
	}
	if len(starts) != 1 || starts[0].Params["InvocationType"] != "Event" {
		t.Fatalf("synthetic function invocations %v, want one asynchronous", starts)
	}
	var env struct {
		Job synthetic.Job `json:"job"`
	}
	if err := json.Unmarshal([]byte(starts[0].Params["Payload"].(string)), &env); err != nil {
		t.Fatal(err)
	}
	job := env.Job
	want := synthetic.Job{Target: "orders-live", Function: "orders", Candidate: "2", Baseline: "1", RPS: 4,
		Until: r.clock.Now().Add(310 * time.Second), RunID: "run-7", Event: json.RawMessage(`{"probe":true}`)}
	if job.Target != want.Target || job.Function != want.Function || job.Candidate != want.Candidate || job.Baseline != want.Baseline ||
		job.RPS != want.RPS || !job.Until.Equal(want.Until) || job.RunID != want.RunID || string(job.Event) != string(want.Event) {
		t.Fatalf("job %+v, want %+v", job, want)
	}

	s := r.sender(t, 0)
	countedTo := counted(t, s)
	done := run(ctx, s, job)
	r.tick(t, done)
	r.tick(t, done)
	countedTo(8) // two seconds' requests in the table; the third burst goes out
	check := control.BakeCheckInput{StepTask: in.StepTask}
	check.Step.Analysis = nil // judged elsewhere; this test is about the traffic
	if _, err := svc.CheckBake(ctx, check); err != nil {
		t.Fatal(err)
	}
	r.tick(t, done)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	evs, err := r.store.Events(ctx, rel.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var started, stopped []release.Event
	for _, ev := range evs {
		switch ev.Type {
		case release.EventSyntheticStarted:
			started = append(started, ev)
		case release.EventSyntheticStopped:
			stopped = append(stopped, ev)
		}
	}
	if len(started) != 1 || len(stopped) != 1 || !strings.Contains(stopped[0].Message, "8 requests sent") {
		t.Errorf("started %v, stopped %v; want one each, the stop with the 8 requests counted by then", started, stopped)
	}
	if n, _ := r.served(); n != 12 {
		t.Errorf("orders served %d, want 12 (three bursts of 4; the last, in flight as it stopped, uncounted)", n)
	}
	if _, running, _ := tr.StopSynthetic(ctx, target); running {
		t.Error("the run is still running after the bake's check")
	}

	ecs := release.Target{Name: "orders-ecs", Type: release.TargetECSBlueGreen, ListenerARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/orders/1/2"}
	before := len(r.fake.Requests("Invoke"))
	if _, err := svc.RegisterBake(ctx, bakeOf(rel.ID, ecs)); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Requests("Invoke")); n != before {
		t.Errorf("an ALB target's bake invoked Lambda %d times, want none", n-before)
	}
	evs, _ = r.store.Events(ctx, rel.ID, 0, 100)
	if last := evs[len(evs)-1]; last.Type != release.EventNote || !strings.Contains(last.Message, "cannot send any to orders-ecs") {
		t.Errorf("last event %s %q, want a note that AWS sends none to an ALB target", last.Type, last.Message)
	}
}
