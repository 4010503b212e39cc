package awsfake

import (
	"github.com/shipwave/shipwave/shared/golden"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// golden compares got with testdata/name, rewriting it under -update.

// TestELBv2Responses pins the XML the fake answers with, in the awsquery
// shape (Result wrapper, member lists, ResponseMetadata) the SDK decodes.
func TestELBv2Responses(t *testing.T) {
	e := NewELBv2(t)
	blue := e.AddTargetGroup("orders-blue", "10.0.1.1")
	green := e.AddTargetGroup("orders-green", "10.0.2.1")
	ln := e.AddListener(443, Forward(TargetWeight{blue, 90}, TargetWeight{green, 10}))
	e.AddRule(ln, 20, []Condition{{Field: "host-header", Values: []string{"b.example"}}}, Action{Type: "fixed-response", Extra: map[string]string{"FixedResponseConfig.StatusCode": "503"}})
	e.AddRule(ln, 10, []Condition{{Field: "path-pattern", Values: []string{"/api/*", "/v2/*"}}}, Forward(TargetWeight{blue, 1}))
	e.Throttle("DescribeTargetHealth", 1)

	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{name: "describe-rules.golden", form: url.Values{"Action": {"DescribeRules"}, "Version": {"2015-12-01"}, "ListenerArn": {ln}}, status: 200},
		{name: "describe-target-health-throttled.golden", form: url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"}, "TargetGroupArn": {blue}}, status: 400},
		{name: "modify-listener-invalid.golden", form: url.Values{"Action": {"ModifyListener"}, "Version": {"2015-12-01"}, "ListenerArn": {ln}, "DefaultActions.member.1.Type": {"forward"}, "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn": {blue}, "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight": {"1000"}}, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(e.URL(), "application/x-www-form-urlencoded", strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			golden.Check(t, tt.name, body)
		})
	}
}
