// Package snspub publishes notifications to SNS topics (notify.Publisher
// over the aws-sdk-go-v2 SNS client).
package snspub

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// API is the part of the SNS client Publisher uses (*sns.Client is one).
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publisher publishes to topics.
type Publisher struct{ Client API }

// Publish sends message with subject to the topic.
func (p Publisher) Publish(ctx context.Context, topicARN, subject, message string) error {
	if _, err := p.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Subject: aws.String(subject), Message: aws.String(message)}); err != nil {
		return fmt.Errorf("publish to %s: %w", topicARN, err)
	}
	return nil
}
