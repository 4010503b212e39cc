package albweights_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/albweights"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

// stack is a fake load balancer for one ECS blue/green service: production
// traffic (the listener's default action and an /api/* rule) and a test
// listener all forward to blue.
type stack struct {
	fake         *awsfake.ELBv2
	blue, green  string
	listener     string
	rule         string
	testListener string
	shifter      *albweights.Shifter
}

func oidc() awsfake.Action {
	return awsfake.Action{Type: "authenticate-oidc", Order: 1, Extra: map[string]string{
		"AuthenticateOidcConfig.Issuer":                "https://idp.example",
		"AuthenticateOidcConfig.AuthorizationEndpoint": "https://idp.example/auth",
		"AuthenticateOidcConfig.TokenEndpoint":         "https://idp.example/token",
		"AuthenticateOidcConfig.UserInfoEndpoint":      "https://idp.example/userinfo",
		"AuthenticateOidcConfig.ClientId":              "orders",
	}}
}

func newStack(t testing.TB) *stack {
	t.Helper()
	f := awsfake.NewELBv2(t)
	s := &stack{fake: f}
	s.blue = f.AddTargetGroup("orders-blue", "10.0.1.1", "10.0.1.2")
	s.green = f.AddTargetGroup("orders-green", "10.0.2.1", "10.0.2.2")
	toBlue := awsfake.Forward(awsfake.TargetWeight{TargetGroupArn: s.blue, Weight: 1})
	s.listener = f.AddListener(443, toBlue)
	ruleFwd := toBlue
	ruleFwd.Order = 2
	s.rule = f.AddRule(s.listener, 10, []awsfake.Condition{{Field: "path-pattern", Values: []string{"/api/*"}}}, oidc(), ruleFwd)
	s.testListener = f.AddListener(8443, toBlue)
	s.shifter = albweights.New(elb.NewFromConfig(awsfake.Config(f.URL())))
	return s
}

func (s *stack) target() release.Target {
	return release.Target{Type: release.TargetECSBlueGreen, Name: "orders-ecs", ListenerARN: s.listener, BlueTargetGroup: "orders-blue", GreenTargetGroup: "orders-green"}
}

func (s *stack) ruleTarget() release.Target {
	t := s.target()
	t.RuleARN = s.rule
	t.TestListenerARN = s.testListener
	t.BlueTargetGroup, t.GreenTargetGroup = s.blue, s.green // ARNs work as well as names
	return t
}

func TestContractListener(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		s := newStack(t)
		return s.shifter, s.target()
	})
}

func TestContractRuleWithTestListener(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		s := newStack(t)
		return s.shifter, s.ruleTarget()
	})
}

func TestShiftRulePreservesActionsAndConditions(t *testing.T) {
	ctx := context.Background()
	s := newStack(t)
	tg := s.ruleTarget()
	cand, err := s.shifter.Prepare(ctx, tg, "orders:v2")
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if cand != s.green {
		t.Fatalf("Prepare = %s, want green %s", cand, s.green)
	}
	if err := s.shifter.Shift(ctx, tg, traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 30}); err != nil {
		t.Fatalf("Shift: %v", err)
	}
	acts := s.fake.RuleActions(s.rule)
	if len(acts) != 2 || acts[0].Type != "authenticate-oidc" || acts[0].Extra["AuthenticateOidcConfig.Issuer"] != "https://idp.example" {
		t.Errorf("rule actions = %+v, want the OIDC action kept first", acts)
	}
	if got := acts[1].Forward; len(got) != 2 || got[0] != (awsfake.TargetWeight{TargetGroupArn: s.blue, Weight: 70}) || got[1] != (awsfake.TargetWeight{TargetGroupArn: s.green, Weight: 30}) {
		t.Errorf("rule forward = %+v, want blue 70, green 30", got)
	}
	if acts[1].Order != 2 {
		t.Errorf("forward action order = %d, want 2 kept", acts[1].Order)
	}
	conds := s.fake.RuleConditions(s.rule)
	if len(conds) != 1 || conds[0].Field != "path-pattern" || len(conds[0].Values) != 1 || conds[0].Values[0] != "/api/*" {
		t.Errorf("rule conditions = %+v, want path-pattern /api/* kept", conds)
	}
	mods := s.fake.Requests("ModifyRule")
	if len(mods) != 1 {
		t.Fatalf("got %d ModifyRule requests, want 1", len(mods))
	}
	for k := range mods[0].Params {
		if strings.HasPrefix(k, "Conditions.") {
			t.Errorf("ModifyRule sent %s; conditions must be left alone", k)
		}
	}
	if got := mods[0].Params["Actions.member.1.AuthenticateOidcConfig.UseExistingClientSecret"]; got != "true" {
		t.Errorf("ModifyRule UseExistingClientSecret = %v, want true (describe never returns the secret)", got)
	}
	// The production default action is untouched when a rule is shifted.
	if got := s.fake.ListenerActions(s.listener)[0].Forward; len(got) != 1 || got[0].TargetGroupArn != s.blue {
		t.Errorf("listener default forward = %+v, want still blue only", got)
	}
}

func TestTestListenerFollowsShift(t *testing.T) {
	ctx := context.Background()
	s := newStack(t)
	tg := s.ruleTarget()
	testGroups := func() []awsfake.TargetWeight { return s.fake.ListenerActions(s.testListener)[0].Forward }
	if _, err := s.shifter.Prepare(ctx, tg, "orders:v2"); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if got := testGroups(); len(got) != 1 || got[0].TargetGroupArn != s.green {
		t.Errorf("test listener after Prepare = %+v, want all on green", got)
	}
	if got := s.fake.RuleActions(s.rule)[1].Forward; len(got) != 1 || got[0].TargetGroupArn != s.blue {
		t.Errorf("production after Prepare = %+v, want still all on blue", got)
	}
	if err := s.shifter.Shift(ctx, tg, traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 0}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got := testGroups(); len(got) != 1 || got[0].TargetGroupArn != s.blue {
		t.Errorf("test listener after rollback = %+v, want all on blue", got)
	}
	// Someone points the test listener elsewhere: Verify notices.
	if err := s.shifter.Shift(ctx, tg, traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 10}); err != nil {
		t.Fatalf("Shift: %v", err)
	}
	sneaky := albweights.New(elb.NewFromConfig(awsfake.Config(s.fake.URL())))
	other := s.target()
	other.ListenerARN = s.testListener
	if err := sneaky.Shift(ctx, other, traffic.Split{Stable: s.blue}); err != nil {
		t.Fatalf("repointing test listener: %v", err)
	}
	err := s.shifter.Verify(ctx, tg, traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 10})
	if !errors.Is(err, release.ErrConflict) || !strings.Contains(err.Error(), "test listener") {
		t.Errorf("Verify with test listener on blue = %v, want ErrConflict about the test listener", err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(s *stack)
		wantKind error
		wantText string
	}{
		{
			name: "candidate has no healthy targets",
			setup: func(s *stack) {
				s.fake.SetTargetHealth(s.green, "10.0.2.1", "unhealthy")
				s.fake.SetTargetHealth(s.green, "10.0.2.2", "draining")
			},
			wantKind: release.ErrConflict,
			wantText: "no healthy targets",
		},
		{
			name: "mid-shift",
			setup: func(s *stack) {
				if err := s.shifter.Shift(context.Background(), s.target(), traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 40}); err != nil {
					panic(err)
				}
			},
			wantKind: release.ErrConflict,
			wantText: "mid-shift",
		},
		{
			name:     "unknown group name",
			setup:    func(s *stack) {},
			wantKind: release.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			tt.setup(s)
			tg := s.target()
			if tt.name == "unknown group name" {
				tg.GreenTargetGroup = "orders-purple"
			}
			_, err := s.shifter.Prepare(context.Background(), tg, "orders:v2")
			if !errors.Is(err, tt.wantKind) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Prepare = %v, want %v mentioning %q", err, tt.wantKind, tt.wantText)
			}
		})
	}
}

func TestAWSFailures(t *testing.T) {
	tests := []struct {
		name         string
		inject       func(f *awsfake.ELBv2)
		wantErr      bool
		wantAttempts int
	}{
		{name: "throttled twice then succeeds", inject: func(f *awsfake.ELBv2) { f.Throttle("ModifyListener", 2) }, wantAttempts: 3},
		{name: "500 once then succeeds", inject: func(f *awsfake.ELBv2) { f.FailServer("ModifyListener", 1) }, wantAttempts: 2},
		{name: "persistent throttling", inject: func(f *awsfake.ELBv2) { f.Throttle("ModifyListener", 0) }, wantErr: true, wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			tt.inject(s.fake)
			err := s.shifter.Shift(context.Background(), s.target(), traffic.Split{Stable: s.blue, Candidate: s.green, Weight: 10})
			if got := len(s.fake.Requests("ModifyListener")); got != tt.wantAttempts {
				t.Errorf("got %d ModifyListener attempts, want %d", got, tt.wantAttempts)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Shift: %v", err)
				}
				if got := s.fake.ListenerActions(s.listener)[0].Forward; len(got) != 2 || got[1].Weight != 10 {
					t.Errorf("live forward = %+v, want green at 10", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "shift orders-ecs") || !strings.Contains(err.Error(), "Throttling") {
				t.Errorf("Shift error = %v, want context and the Throttling code", err)
			}
		})
	}
}
