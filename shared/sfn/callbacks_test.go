package sfn_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/sfn"
)

var _ control.TaskCallbacks = (*sfn.Callbacks)(nil)

func newCallbacks(t testing.TB) (*sfn.Callbacks, *awsfake.SFN) {
	t.Helper()
	fake := awsfake.NewSFN(t)
	return sfn.NewCallbacks(awssfn.NewFromConfig(awsfake.Config(fake.URL()))), fake
}

func TestSendTaskSuccess(t *testing.T) {
	cb, fake := newCallbacks(t)
	fake.Wait("tok-1")
	if err := cb.SendTaskSuccess(context.Background(), "tok-1", []byte(`{"approvedBy":"ana"}`)); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	got, _ := fake.Outcome("tok-1")
	if got.State != "succeeded" || got.Output != `{"approvedBy":"ana"}` {
		t.Errorf("outcome = %+v, want succeeded with the output", got)
	}
	reqs := fake.Requests("SendTaskSuccess")
	if len(reqs) != 1 {
		t.Fatalf("got %d SendTaskSuccess requests, want 1", len(reqs))
	}
	if h := reqs[0].Header.Get("X-Amz-Target"); h != "AWSStepFunctions.SendTaskSuccess" {
		t.Errorf("X-Amz-Target = %q, want AWSStepFunctions.SendTaskSuccess", h)
	}
	if reqs[0].Params["taskToken"] != "tok-1" {
		t.Errorf("taskToken = %v, want tok-1", reqs[0].Params["taskToken"])
	}
	if !strings.HasPrefix(reqs[0].Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		t.Errorf("request is not SigV4-signed: %q", reqs[0].Header.Get("Authorization"))
	}
}

func TestSendTaskSuccessEmptyOutput(t *testing.T) {
	cb, fake := newCallbacks(t)
	fake.Wait("tok-1")
	if err := cb.SendTaskSuccess(context.Background(), "tok-1", nil); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	if got, _ := fake.Outcome("tok-1"); got.Output != "{}" {
		t.Errorf("output = %q, want {}", got.Output)
	}
}

func TestSendTaskFailure(t *testing.T) {
	cb, fake := newCallbacks(t)
	fake.Wait("tok-1")
	long := strings.Repeat("é", sfn.MaxCauseLen) // 2 bytes each: must be cut
	if err := cb.SendTaskFailure(context.Background(), "tok-1", "AlarmTriggered", long); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	got, _ := fake.Outcome("tok-1")
	if got.State != "failed" || got.Error != "AlarmTriggered" {
		t.Errorf("outcome = %+v, want failed with AlarmTriggered", got)
	}
	if len(got.Cause) > sfn.MaxCauseLen || !strings.HasPrefix(long, got.Cause) || len(got.Cause) == 0 {
		t.Errorf("cause has %d bytes, want a non-empty prefix of at most %d bytes on a rune boundary", len(got.Cause), sfn.MaxCauseLen)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*awsfake.SFN)
		token     string
		success   bool
		output    string
		wantEnded bool
		timedOut  bool
		wantKind  error
	}{
		{name: "timed out success", setup: func(f *awsfake.SFN) { f.TimeOut("tok") }, token: "tok", success: true, wantEnded: true, timedOut: true, wantKind: release.ErrConflict},
		{name: "timed out failure", setup: func(f *awsfake.SFN) { f.TimeOut("tok") }, token: "tok", wantEnded: true, timedOut: true, wantKind: release.ErrConflict},
		{name: "unknown token", setup: func(*awsfake.SFN) {}, token: "nope", wantEnded: true, wantKind: release.ErrConflict},
		{name: "already completed", setup: func(f *awsfake.SFN) {
			f.Wait("tok")
			_ = sfn.NewCallbacks(awssfn.NewFromConfig(awsfake.Config(f.URL()))).SendTaskSuccess(context.Background(), "tok", []byte("{}"))
		}, token: "tok", wantEnded: true, wantKind: release.ErrConflict},
		{name: "empty token", setup: func(*awsfake.SFN) {}, token: "", wantKind: release.ErrInvalid},
		{name: "output not json", setup: func(f *awsfake.SFN) { f.Wait("tok") }, token: "tok", success: true, output: "{", wantKind: release.ErrInvalid},
		{name: "over-long token", setup: func(*awsfake.SFN) {}, token: strings.Repeat("t", 3000), wantKind: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, fake := newCallbacks(t)
			tt.setup(fake)
			var err error
			if tt.success {
				out := tt.output
				if out == "" {
					out = "{}"
				}
				err = cb.SendTaskSuccess(context.Background(), tt.token, []byte(out))
			} else {
				err = cb.SendTaskFailure(context.Background(), tt.token, "AlarmTriggered", "orders-5xx")
			}
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			var ended *sfn.TaskEnded
			if got := errors.As(err, &ended); got != tt.wantEnded {
				t.Fatalf("errors.As(TaskEnded) = %v, want %v (err %v)", got, tt.wantEnded, err)
			}
			if ended != nil && ended.TimedOut != tt.timedOut {
				t.Errorf("TimedOut = %v, want %v", ended.TimedOut, tt.timedOut)
			}
			if !errors.Is(err, tt.wantKind) {
				t.Errorf("error %v is not %v", err, tt.wantKind)
			}
		})
	}
}

func TestServiceErrorsPassThrough(t *testing.T) {
	cb, fake := newCallbacks(t)
	fake.Wait("tok")
	fake.Inject(awsfake.Fault{Status: http.StatusBadRequest, Code: "KmsAccessDeniedException", Message: "no key"})
	err := cb.SendTaskSuccess(context.Background(), "tok", []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "KmsAccessDeniedException") {
		t.Fatalf("err = %v, want the KmsAccessDeniedException", err)
	}
	var ended *sfn.TaskEnded
	if errors.As(err, &ended) || errors.Is(err, release.ErrConflict) {
		t.Errorf("err = %v matched TaskEnded/ErrConflict, want neither", err)
	}
}

func TestThrottlingRetried(t *testing.T) {
	cb, fake := newCallbacks(t)
	fake.Wait("tok")
	fake.Inject(awsfake.Fault{Operation: "SendTaskFailure", Status: http.StatusBadRequest, Code: "ThrottlingException", Times: 1})
	if err := cb.SendTaskFailure(context.Background(), "tok", "AlarmTriggered", "x"); err != nil {
		t.Fatalf("SendTaskFailure after one throttle: %v", err)
	}
	if n := len(fake.Requests("SendTaskFailure")); n != 2 {
		t.Errorf("got %d attempts, want 2", n)
	}
}
