package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/shipwave/shipwave/shared/awsdeps/wiringtest"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { os.Exit(mototest.Around(func() int { return dynalitetest.Run(m) })) }

func TestNewHandlerNeedsEnvironment(t *testing.T) {
	wiringtest.RequiresEnv(t, newHandler, "TABLE_NAME", "NOTIFY_SECRET_ID")
}

// TestWiredHandler: the handler built from the environment reads the
// stream sample's release and spec from the table TABLE_NAME names and
// announces its ReleaseStarted event to the pipeline's destinations: a
// webhook (signed with the secret NOTIFY_SECRET_ID names, read from
// Secrets Manager) and an SNS topic (moto_server); a topic that does not
// exist is retried, then logged, and fails nothing. The same record again
// sends nothing (the claim).
func TestWiredHandler(t *testing.T) {
	ctx := context.Background()
	received := make(chan []byte, 8)
	var secret = []byte("notify-secret")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := hooks.Verify(secret, r.Header.Get(hooks.HeaderTimestamp), body, r.Header.Get(hooks.HeaderSignature), time.Now(), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		received <- body
	}))
	t.Cleanup(hook.Close)
	secrets := awsfake.NewSecretsManager(t)
	secretARN := secrets.PutString("shipwave-notify", string(secret))
	moto := mototest.Shared(t)
	topic, err := sns.NewFromConfig(mototest.Config(t)).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(mototest.Name(t, 64))})
	if err != nil {
		t.Fatal(err)
	}
	env := wiringtest.New(t, map[string]string{"SECRETS_MANAGER": secrets.URL(), "SNS": moto.URL})
	env.Vars["NOTIFY_SECRET_ID"] = secretARN

	sample := wiringtest.Sample[events.DynamoDBEvent](t, "dynamodb-event-log-insert.json")
	id := sample.Records[0].Change.NewImage["releaseId"].String()
	missing := *topic.TopicArn + "-missing"
	p := release.Pipeline{APIVersion: "shipwave/v1", Name: "orders-api", Notify: []string{"webhook+" + hook.URL + "/shipwave", *topic.TopicArn, missing}}
	if _, err := env.Store.SaveSpec(ctx, release.SpecVersion{Pipeline: p.Name, Source: []byte("pipeline: orders-api"), Parsed: p}); err != nil {
		t.Fatal(err)
	}
	env.Release(t, id, p.Name)
	for _, typ := range []release.EventType{release.EventCreated, release.EventStarted} {
		if _, err := env.Store.AppendEvent(ctx, release.Event{ReleaseID: id, Type: typ}); err != nil {
			t.Fatal(err)
		}
	}

	h := wiringtest.Build(t, env, newHandler)
	for range 2 {
		resp, err := h(ctx, sample)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v; want no failures", resp, err)
		}
	}
	select {
	case body := <-received:
		var m notify.Message
		if err := json.Unmarshal(body, &m); err != nil || m.Kind != notify.Started || m.ReleaseID != id || m.Seq != 2 {
			t.Errorf("webhook got %s (%v), want the release-started message of %s", body, err, id)
		}
	default:
		t.Fatal("the webhook received no signed message")
	}
	if len(received) != 0 {
		t.Errorf("the webhook received %d more messages, want the event sent once", len(received))
	}
	notDelivered := 0
	for _, l := range env.Logs.Lines(t) {
		if l["msg"] == "notify: not delivered" {
			notDelivered++
		}
	}
	if notDelivered != 1 {
		t.Errorf("%d deliveries logged as failed, want 1 (the missing topic; the real one is published to): %v", notDelivered, env.Logs.Lines(t))
	}
	env.CheckLogged(t, "notify")
}
