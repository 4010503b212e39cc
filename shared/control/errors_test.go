package control_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/release"
)

// lambdaErrorType is how aws-lambda-go names a returned error for Step
// Functions: the Go type name, without the pointer.
func lambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func TestBoundaryKeepsNamedErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantType string
		wantMsg  string
	}{
		{"named error wrapped with context", fmt.Errorf("bake orders: %w", &control.AlarmTriggered{Message: "orders-5xx in ALARM"}), "AlarmTriggered", "bake orders: orders-5xx in ALARM"},
		{"named error joined", errors.Join(errors.New("first"), &control.HookFailed{Message: "smoke failed"}), "HookFailed", "first\nsmoke failed"},
		{"domain locked", release.Errorf(release.ErrLocked, "held by r1"), "TargetLocked", "held by r1"},
		{"domain invalid", release.Errorf(release.ErrInvalid, "bad target"), "InvalidInput", "bad target"},
		{"domain conflict is transient", fmt.Errorf("append: %w", release.Errorf(release.ErrConflict, "lost race")), "TransientError", "append: lost race"},
		{"throttling is transient", fmt.Errorf("update alias: %w", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}), "TransientError", "update alias: api error ThrottlingException: slow down"},
		{"server fault is transient", &smithy.GenericAPIError{Code: "Whatever", Fault: smithy.FaultServer}, "TransientError", "api error Whatever: "},
		{"client fault is invalid input", &smithy.GenericAPIError{Code: "AccessDenied", Fault: smithy.FaultClient}, "InvalidInput", "api error AccessDenied: "},
		{"not found is invalid input", fmt.Errorf("load: %w", release.Errorf(release.ErrNotFound, "no release r1")), "InvalidInput", "load: no release r1"},
		{"expired is invalid input", release.Errorf(release.ErrExpired, "token expired"), "InvalidInput", "token expired"},
		{"unauthorized is invalid input", release.Errorf(release.ErrUnauthorized, "not an approver"), "InvalidInput", "not an approver"},
		{"an error of no kind is transient", errors.New("connection reset"), "TransientError", "connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := control.Boundary(tt.err)
			if typ := lambdaErrorType(got); typ != tt.wantType {
				t.Errorf("error type = %s, want %s", typ, tt.wantType)
			}
			if got.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", got.Error(), tt.wantMsg)
			}
		})
	}
	if control.Boundary(nil) != nil {
		t.Error("Boundary(nil) != nil")
	}
}

// TestErrorNamesMatchDefinitions checks both directions between the state
// machines and the Go error types: every error name a definition matches or
// raises is a States.* or AWS service name, a name a Fail state raises, or a
// Go type a handler returns; and every Go type is matched somewhere.
func TestErrorNamesMatchDefinitions(t *testing.T) {
	goNames := map[string]bool{}
	for _, n := range control.ErrorNames() {
		goNames[n] = true
	}
	for _, err := range []error{
		&control.TargetLocked{}, &control.Superseded{}, &control.Cancelled{}, &control.PreflightFailed{}, &control.HookFailed{},
		&control.AlarmTriggered{}, &control.InsufficientData{}, &control.WaveAborted{}, &control.WaveFailed{}, &control.LoadTestFailed{},
		&control.ApprovalRejected{}, &control.LockLost{}, &control.TransientError{}, &control.InvalidInput{},
	} {
		if n := lambdaErrorType(err); !goNames[n] {
			t.Errorf("error type %s is not in ErrorNames", n)
		}
	}
	files, err := filepath.Glob("../../statemachines/*.asl.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no state machines found: %v", err)
	}
	matched, raised := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var def any
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(def, func(key string, v any) {
			switch key {
			case "ErrorEquals":
				for _, n := range v.([]any) {
					matched[n.(string)] = true
				}
			case "Error":
				if s, ok := v.(string); ok {
					raised[s] = true
				}
			}
		})
	}
	for n := range matched {
		if strings.HasPrefix(n, "States.") || strings.HasPrefix(n, "Lambda.") || strings.HasPrefix(n, "StepFunctions.") || strings.HasPrefix(n, "ECS.") {
			continue
		}
		if !goNames[n] && !raised[n] {
			t.Errorf("ErrorEquals name %q is neither a Go error type nor raised by a Fail state", n)
		}
	}
	for n := range goNames {
		if n == "InvalidInput" || n == "LockLost" || n == "InsufficientData" || n == "PreflightFailed" || n == "HookFailed" ||
			n == "AlarmTriggered" || n == "WaveAborted" || n == "WaveFailed" || n == "LoadTestFailed" || n == "Cancelled" ||
			n == "ApprovalRejected" || n == "RollbackRequested" || n == "DeployWindowClosed" || n == "AnalysisFailed" {
			// Caught by States.ALL into the rollback or finish path, by design.
			continue
		}
		if !matched[n] && !raised[n] {
			t.Errorf("Go error type %s is never matched by a definition", n)
		}
	}
	if names := control.ErrorNames(); len(names) != len(goNames) {
		t.Errorf("ErrorNames has duplicates: %v", names)
	}
}

func walk(v any, visit func(key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			visit(k, child)
			walk(child, visit)
		}
	case []any:
		for _, child := range x {
			walk(child, visit)
		}
	}
}

func TestTaskErrorReason(t *testing.T) {
	tests := []struct {
		name string
		err  *control.TaskError
		want string
	}{
		{"lambda error cause", &control.TaskError{Error: "AlarmTriggered", Cause: `{"errorMessage":"orders-5xx in ALARM","errorType":"AlarmTriggered"}`}, "AlarmTriggered: orders-5xx in ALARM"},
		{"plain cause", &control.TaskError{Error: "States.Timeout", Cause: "timed out"}, "States.Timeout: timed out"},
		{"no cause", &control.TaskError{Error: "States.Timeout"}, "States.Timeout"},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Reason(); got != tt.want {
				t.Errorf("Reason() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTaskErrorReasonOfANestedExecution(t *testing.T) {
	cause := `{"ExecutionArn":"arn:aws:states:us-east-1:1:execution:deploy:r-s0w0t0","Input":{"big":true},"Status":"FAILED","Error":"RollbackFailed",` +
		`"Cause":"{\"errorMessage\":\"cannot restore orders: v1 is not serving\",\"errorType\":\"RestoreUnverified\"}"}`
	got := (&control.TaskError{Error: "States.TaskFailed", Cause: cause}).Reason()
	if want := "RollbackFailed: cannot restore orders: v1 is not serving"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
}
