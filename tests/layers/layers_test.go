package layers

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// allowed are the github.com/aws modules the core may depend on, and why.
// Neither is an SDK client: Boundary classifies service faults through
// smithy's error interface, and alarm state-change events are EventBridge
// shapes.
var allowed = map[string]string{
	"github.com/aws/smithy-go":            "control.Boundary reads smithy.APIError's fault to tell a client fault from a server one",
	"github.com/aws/aws-lambda-go/events": "alarms.ParseStateChange reads events.CloudWatchEvent",
}

// TestCoreImportsNoAWSSDK: shared/release and shared/control, the spec
// parser shared/spec (it checks notify destinations without a sender), and
// every package they depend on, import nothing from github.com/aws/ beyond
// the allowed list: no aws-sdk-go-v2 client, config or credentials.
func TestCoreImportsNoAWSSDK(t *testing.T) {
	for _, pkg := range []string{"../../shared/release", "../../shared/control", "../../shared/spec"} {
		t.Run(strings.TrimPrefix(pkg, "../../"), func(t *testing.T) {
			for _, dep := range deps(t, pkg) {
				if bad, why := forbidden(dep); bad {
					t.Errorf("%s depends on %s (%s); the core must not import an AWS SDK: declare an interface in the core and implement it in an adapter package", pkg, dep, why)
				}
			}
		})
	}
}

// TestForbidden: the rule itself, on paths it must refuse and allow.
func TestForbidden(t *testing.T) {
	for dep, want := range map[string]bool{
		"github.com/aws/aws-sdk-go-v2/service/lambda": true,
		"github.com/aws/aws-sdk-go-v2/aws":            true,
		"github.com/aws/aws-sdk-go-v2/config":         true,
		"github.com/aws/aws-xray-sdk-go/xray":         true,
		"github.com/aws/aws-lambda-go/lambda":         true,
		"github.com/aws/aws-lambda-go/events":         false,
		"github.com/aws/smithy-go":                    false,
		"github.com/aws/smithy-go/document":           false,
		"github.com/shipwave/shipwave/shared/release": false,
		"encoding/json":                               false,
	} {
		if got, _ := forbidden(dep); got != want {
			t.Errorf("forbidden(%s) = %v, want %v", dep, got, want)
		}
	}
}

func forbidden(dep string) (bool, string) {
	if !strings.HasPrefix(dep, "github.com/aws/") {
		return false, ""
	}
	for mod := range allowed {
		if dep == mod || strings.HasPrefix(dep, mod+"/") {
			return false, ""
		}
	}
	return true, "an AWS module outside the allowed list"
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v: %s", pkg, err, stderr.String())
	}
	list := strings.Fields(string(out))
	if len(list) < 2 {
		t.Fatalf("go list -deps %s listed %d packages; want the package and its dependencies", pkg, len(list))
	}
	return list
}
