package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// sfnBackends are the Step Functions implementations the starter's
// contract runs against, each with a fresh state machine.
var sfnBackends = []struct {
	name string
	new  func(t *testing.T) (*awssfn.Client, string)
}{
	{"awsfake", func(t *testing.T) (*awssfn.Client, string) {
		fake := awsfake.NewSFN(t)
		return awssfn.NewFromConfig(awsfake.Config(fake.URL())), fake.AddStateMachine("shipwave-release")
	}},
	{"moto", func(t *testing.T) (*awssfn.Client, string) {
		client := awssfn.NewFromConfig(mototest.Config(t))
		out, err := client.CreateStateMachine(context.Background(), &awssfn.CreateStateMachineInput{
			Name: aws.String(mototest.Name(t, 72) + "-release"), RoleArn: aws.String("arn:aws:iam::" + mototest.Account + ":role/shipwave-release"),
			Definition: aws.String(`{"StartAt":"Wait","States":{"Wait":{"Type":"Wait","Seconds":3600,"End":true}}}`),
		})
		if err != nil {
			t.Fatalf("CreateStateMachine: %v", err)
		}
		return client, aws.ToString(out.StateMachineArn)
	}},
}

// TestStartContract: against awsfake and moto, Start names the execution
// ExecutionName(id), returns the ARN ExecutionARN predicts, passes the
// release as input, returns the same ARN when started again, and maps a
// missing state machine to ErrNotFound.
func TestStartContract(t *testing.T) {
	ctx := context.Background()
	for _, b := range sfnBackends {
		t.Run(b.name, func(t *testing.T) {
			client, machine := b.new(t)
			s := &Starter{Client: client, StateMachineARN: machine}
			r := release.Release{ID: "01J0REL/" + strings.Repeat("x", 90), Pipeline: "orders", SpecVersion: 3, Version: "abc123"}
			arn, err := s.Start(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := ExecutionName(r.ID)
			want, _ := ExecutionARN(machine, name)
			if arn != want {
				t.Errorf("Start = %s, want %s", arn, want)
			}
			d, err := client.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("DescribeExecution: %v", err)
			}
			var in Input
			if err := json.Unmarshal([]byte(aws.ToString(d.Input)), &in); err != nil || in.ReleaseID != r.ID || in.Pipeline != "orders" || in.SpecVersion != 3 || in.Version != "abc123" {
				t.Errorf("execution input = %s (%v), want the release", aws.ToString(d.Input), err)
			}
			if aws.ToString(d.Name) != name {
				t.Errorf("execution name = %s, want %s", aws.ToString(d.Name), name)
			}
			again, err := s.Start(ctx, r)
			if err != nil || again != arn {
				t.Errorf("second Start = %s, %v; want %s", again, err, arn)
			}
			missing := &Starter{Client: client, StateMachineARN: machine + "-missing"}
			if _, err := missing.Start(ctx, r); !errors.Is(err, release.ErrNotFound) {
				t.Errorf("Start on a missing state machine = %v, want ErrNotFound", err)
			}
		})
	}
}
