package lambdatask_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/lambdatask"
)

// ValidationError is a typed error whose name a Catch can match.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid " + e.Field }

type order struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

func TestCall(t *testing.T) {
	tests := []struct {
		name      string
		handler   any
		payload   string
		want      string
		wantName  string
		wantCause string
	}{
		{
			name:    "typed in and out",
			handler: func(_ context.Context, o order) (order, error) { o.Total *= 2; return o, nil },
			payload: `{"id":"a","total":2}`,
			want:    `{"id":"a","total":4}`,
		},
		{
			name:      "errors.New is errorString",
			handler:   func(context.Context) error { return errors.New("boom") },
			payload:   `{}`,
			wantName:  "errorString",
			wantCause: `{"errorMessage":"boom","errorType":"errorString"}`,
		},
		{
			name:      "typed error keeps its name",
			handler:   func(context.Context) error { return &ValidationError{Field: "id"} },
			payload:   `{}`,
			wantName:  "ValidationError",
			wantCause: `{"errorMessage":"invalid id","errorType":"ValidationError"}`,
		},
		{
			name:      "wrapping hides the type",
			handler:   func(context.Context) error { return fmt.Errorf("ctx: %w", &ValidationError{Field: "id"}) },
			payload:   `{}`,
			wantName:  "wrapError",
			wantCause: `{"errorMessage":"ctx: invalid id","errorType":"wrapError"}`,
		},
		{
			name:      "bad payload",
			handler:   func(_ context.Context, o order) (order, error) { return o, nil },
			payload:   `{"total":"x"}`,
			wantName:  "UnmarshalTypeError",
			wantCause: `{"errorMessage":"json: cannot unmarshal string into Go struct field order.total of type int","errorType":"UnmarshalTypeError"}`,
		},
		{
			name:      "panic",
			handler:   func(context.Context) error { panic("oops") },
			payload:   `{}`,
			wantName:  "string",
			wantCause: `{"errorMessage":"oops","errorType":"string"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := lambdatask.New("fn", tt.handler)
			out, err := f.Call(context.Background(), []byte(tt.payload))
			if tt.wantName == "" {
				if err != nil || string(out) != tt.want {
					t.Fatalf("got %s, %v; want %s", out, err, tt.want)
				}
				return
			}
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want *failure.Error", err)
			}
			if fe.Name != tt.wantName || fe.Cause != tt.wantCause {
				t.Errorf("got %s %s, want %s %s", fe.Name, fe.Cause, tt.wantName, tt.wantCause)
			}
		})
	}
}

func TestCatchMatchesGoErrorType(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:validate"
	reg := states.NewRegistry()
	reg.Handle(arn, lambdatask.New("validate", func(_ context.Context, o order) (order, error) {
		if o.ID == "" {
			return o, &ValidationError{Field: "id"}
		}
		return o, nil
	}))
	sm, err := states.Parse([]byte(`{"StartAt":"V","States":{
	  "V":{"Type":"Task","Resource":"` + arn + `","Catch":[{"ErrorEquals":["ValidationError"],"ResultPath":"$.error","Next":"Bad"}],"End":true},
	  "Bad":{"Type":"Pass","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	eng := states.New(states.Options{Tasks: reg, Clock: states.NewVirtualClock(time.Unix(0, 0))})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, res, err := eng.Run(ctx, sm, states.StartInput{Input: []byte(`{"total":3}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":3,"error":{"Error":"ValidationError","Cause":"{\"errorMessage\":\"invalid id\",\"errorType\":\"ValidationError\"}"}}`
	if string(res.Output) != want {
		t.Errorf("got %s, want %s", res.Output, want)
	}
}
