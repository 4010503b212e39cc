package tasks_test

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/tasks"
)

func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var got []string
	reg := states.NewRegistry()
	tasks.Register(reg, tasks.Config{
		PutEvents: func(_ context.Context, entries []tasks.EventEntry) error {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range entries {
				got = append(got, e.Source+"/"+e.DetailType+"/"+string(e.Detail))
			}
			return nil
		},
		SNSPublish: func(_ context.Context, m tasks.SNSMessage) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m.TopicArn+"/"+string(m.Message))
			return nil
		},
		ECSRunTask: func(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
			return nil, failure.New("ECS.AmazonECSException", "no cluster")
		},
	})
	eng := states.New(states.Options{Tasks: reg, Clock: states.NewVirtualClock(epoch)})
	def := `{"StartAt":"E","States":{
	  "E":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents","Parameters":{"Entries":[{"Source":"shipwave","DetailType":"Release","Detail":{"id.$":"$.id"}}]},"ResultPath":"$.events","Next":"S"},
	  "S":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:1:t","Message.$":"$.id"},"ResultPath":"$.sns","Next":"R"},
	  "R":{"Type":"Task","Resource":"arn:aws:states:::ecs:runTask.sync","Parameters":{"Cluster":"c"},"Catch":[{"ErrorEquals":["ECS.AmazonECSException"],"ResultPath":"$.ecs","Next":"Done"}],"End":true},
	  "Done":{"Type":"Succeed"}}}`
	res := run(t, eng, def, `{"id":"r9"}`)
	if res.Status != states.StatusSucceeded {
		t.Fatalf("got %s %s %s", res.Status, res.Error, res.Cause)
	}
	want := `^\{"id":"r9","events":\{"Entries":\[\{"EventId":"[0-9a-f-]{36}"\}\],"FailedEntryCount":0\},"sns":\{"MessageId":"[0-9a-f-]{36}"\},"ecs":\{"Error":"ECS.AmazonECSException","Cause":"no cluster"\}\}$`
	if !regexp.MustCompile(want).Match(res.Output) {
		t.Errorf("got %s, want match %s", res.Output, want)
	}
	if len(got) != 2 || got[0] != `shipwave/Release/{"id":"r9"}` || got[1] != `arn:aws:sns:us-east-1:1:t/"r9"` {
		t.Errorf("got calls %q", got)
	}
}
