package tasks_test

import (
	"regexp"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/tasks"
)

const childArn = "arn:aws:states:us-east-1:123456789012:stateMachine:Child"

func TestStartExecution(t *testing.T) {
	child, err := states.Parse([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"F"}],"Default":"W"},
	  "W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true},
	  "F":{"Type":"Fail","Error":"ChildError","Cause":"asked to fail"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		resource string
		input    string
		status   string
		errName  string
		output   string
	}{
		{"fire and forget", "arn:aws:states:::states:startExecution", `{"n":1}`, states.StatusSucceeded, "",
			`^\{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:Child:kid","StartDate":\d+\}$`},
		{"sync returns strings", "arn:aws:states:::states:startExecution.sync", `{"n":2}`, states.StatusSucceeded, "",
			`^\{"ExecutionArn":"[^"]+:kid","Input":"\{\\"n\\":2\}","InputDetails":\{"Included":true\},"Name":"kid","Output":"\{\\"doubled\\":4\}","OutputDetails":\{"Included":true\},"StartDate":\d+,"StateMachineArn":"` + childArn + `","Status":"SUCCEEDED","StopDate":\d+\}$`},
		{"sync:2 returns JSON", "arn:aws:states:::states:startExecution.sync:2", `{"n":3}`, states.StatusSucceeded, "",
			`"Input":\{"n":3\},.*"Output":\{"doubled":6\},`},
		{"sync child failure", "arn:aws:states:::states:startExecution.sync", `{"fail":true}`, states.StatusFailed, failure.TaskFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := states.NewRegistry()
			eng := states.New(states.Options{Tasks: reg, Clock: states.NewVirtualClock(epoch), StateMachines: map[string]*states.StateMachine{childArn: child}})
			tasks.Register(reg, tasks.Config{Starter: eng})
			def := `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"` + tt.resource + `","Parameters":{"StateMachineArn":"` + childArn + `","Name":"kid","Input.$":"$"},"End":true}}}`
			res := run(t, eng, def, tt.input)
			if res.Status != tt.status || res.Error != tt.errName {
				t.Fatalf("got %s %s %s, want %s %s", res.Status, res.Error, res.Cause, tt.status, tt.errName)
			}
			if tt.output != "" && !regexp.MustCompile(tt.output).Match(res.Output) {
				t.Errorf("got output %s, want match %s", res.Output, tt.output)
			}
			if tt.errName != "" && !regexp.MustCompile(`"Status":"FAILED".*"Error":"ChildError","Cause":"asked to fail"`).MatchString(res.Cause) {
				t.Errorf("got cause %s, want the child's description", res.Cause)
			}
		})
	}
}
