package snspub_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/notify"
	"github.com/shipwave/shipwave/shared/snspub"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestPublishThroughNotify: a notify.Sender with this publisher delivers to
// an SNS topic on moto_server, and a topic that does not exist is an error.
func TestPublishThroughNotify(t *testing.T) {
	ctx := context.Background()
	client := sns.NewFromConfig(mototest.Config(t))
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(mototest.Name(t, 64))})
	if err != nil {
		t.Fatal(err)
	}
	s := &notify.Sender{SNS: snspub.Publisher{Client: client}}
	m := notify.Message{Kind: notify.RolledBack, Pipeline: "shop", ReleaseID: "01R", Version: "v3", Text: "Rolled back"}
	if err := s.Send(ctx, *topic.TopicArn, m); err != nil {
		t.Fatalf("Send to %s: %v", *topic.TopicArn, err)
	}
	if err := s.Send(ctx, *topic.TopicArn+"-missing", m); err == nil {
		t.Error("Send to a missing topic = nil, want an error")
	}
}
