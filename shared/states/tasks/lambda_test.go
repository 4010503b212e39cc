package tasks_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
	"github.com/shipwave/shipwave/shared/states/tasks"
)

type greeting struct {
	Name string `json:"name"`
}

// NotFound is a typed error a Catch can name.
type NotFound struct{}

func (NotFound) Error() string { return "no such user" }

func lambdaEngine() *states.Engine {
	reg := states.NewRegistry()
	tasks.Register(reg, tasks.Config{Functions: tasks.Functions{
		"hello": lambdatask.New("hello", func(_ context.Context, g greeting) (map[string]string, error) {
			if g.Name == "" {
				return nil, NotFound{}
			}
			if g.Name == "err" {
				return nil, errors.New("plain")
			}
			return map[string]string{"msg": "hi " + g.Name}, nil
		}),
	}})
	return states.New(states.Options{Tasks: reg, Clock: states.NewVirtualClock(epoch)})
}

func TestLambdaInvoke(t *testing.T) {
	tests := []struct {
		name    string
		def     string
		input   string
		status  string
		errName string
		output  string // regexp
	}{
		{
			name:   "legacy function ARN returns the payload",
			def:    `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:hello","End":true}}}`,
			input:  `{"name":"ada"}`,
			status: states.StatusSucceeded,
			output: `^\{"msg":"hi ada"\}$`,
		},
		{
			name:   "lambda:invoke wraps the payload",
			def:    `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"hello:live","Payload.$":"$"},"End":true}}}`,
			input:  `{"name":"ada"}`,
			status: states.StatusSucceeded,
			output: `^\{"ExecutedVersion":"\$LATEST","Payload":\{"msg":"hi ada"\},"SdkHttpMetadata":\{"AllHttpHeaders":\{.*\},"HttpHeaders":\{.*"x-amzn-RequestId":"[0-9a-f-]{36}".*\},"HttpStatusCode":200\},"SdkResponseMetadata":\{"RequestId":"[0-9a-f-]{36}"\},"StatusCode":200\}$`,
		},
		{
			name:   "lambda:invoke with ResultSelector",
			def:    `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:hello","Payload":{"name":"bob"}},"ResultSelector":{"m.$":"$.Payload.msg","s.$":"$.StatusCode"},"End":true}}}`,
			input:  `{}`,
			status: states.StatusSucceeded,
			output: `^\{"m":"hi bob","s":200\}$`,
		},
		{
			name:    "typed error name",
			def:     `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"hello","Payload":{}},"End":true}}}`,
			input:   `{}`,
			status:  states.StatusFailed,
			errName: "NotFound",
		},
		{
			name:    "unknown function",
			def:     `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"nope"},"End":true}}}`,
			input:   `{}`,
			status:  states.StatusFailed,
			errName: "Lambda.ResourceNotFoundException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, lambdaEngine(), tt.def, tt.input)
			if res.Status != tt.status || res.Error != tt.errName {
				t.Fatalf("got %s %s %s, want %s %s", res.Status, res.Error, res.Cause, tt.status, tt.errName)
			}
			if tt.output != "" && !regexp.MustCompile(tt.output).Match(res.Output) {
				t.Errorf("got output %s, want match %s", res.Output, tt.output)
			}
		})
	}
}
