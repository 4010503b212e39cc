package albweights

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// API is the part of the ELBv2 client the shifter uses.
type API interface {
	DescribeListeners(ctx context.Context, in *elb.DescribeListenersInput, opts ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	DescribeRules(ctx context.Context, in *elb.DescribeRulesInput, opts ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
	ModifyListener(ctx context.Context, in *elb.ModifyListenerInput, opts ...func(*elb.Options)) (*elb.ModifyListenerOutput, error)
	ModifyRule(ctx context.Context, in *elb.ModifyRuleInput, opts ...func(*elb.Options)) (*elb.ModifyRuleOutput, error)
	DescribeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, opts ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// Shifter shifts traffic between the blue and green target groups of
// ecsBlueGreen targets. Versions in its Splits are target group ARNs.
//
// The target names its production listener (ListenerARN), optionally a rule
// on it (RuleARN, whose forward action is shifted instead of the listener's
// default action), an optional TestListenerARN, and the two groups
// (BlueTargetGroup, GreenTargetGroup) by name or ARN. Throttling and 5xx
// answers are retried by the client's retryer; what is left is returned
// with context.
type Shifter struct {
	client API
}

var _ traffic.Shifter = (*Shifter)(nil)

// New returns a Shifter using client.
func New(client API) *Shifter { return &Shifter{client: client} }

// groups are a target's blue and green target group ARNs.
type groups struct{ blue, green string }

func (g groups) has(arn string) bool { return arn == g.blue || arn == g.green }

func (g groups) other(arn string) string {
	if arn == g.blue {
		return g.green
	}
	return g.blue
}

func check(t release.Target) error {
	switch {
	case t.Type != release.TargetECSBlueGreen:
		return release.Errorf(release.ErrInvalid, "alb shifter: target %s has type %q, want %q", t.Name, t.Type, release.TargetECSBlueGreen)
	case t.ListenerARN == "":
		return release.Errorf(release.ErrInvalid, "alb shifter: target %s: listenerArn is required", t.Name)
	case t.BlueTargetGroup == "" || t.GreenTargetGroup == "":
		return release.Errorf(release.ErrInvalid, "alb shifter: target %s: blueTargetGroup and greenTargetGroup are required", t.Name)
	case t.BlueTargetGroup == t.GreenTargetGroup:
		return release.Errorf(release.ErrInvalid, "alb shifter: target %s: blue and green target groups are both %q", t.Name, t.BlueTargetGroup)
	}
	return nil
}

func where(t release.Target) string {
	if t.RuleARN != "" {
		return "rule " + t.RuleARN
	}
	return "listener " + t.ListenerARN
}

// resolve turns the target's group names or ARNs into ARNs.
func (s *Shifter) resolve(ctx context.Context, t release.Target) (groups, error) {
	var g groups
	for _, p := range []struct {
		ref string
		arn *string
	}{{t.BlueTargetGroup, &g.blue}, {t.GreenTargetGroup, &g.green}} {
		in := &elb.DescribeTargetGroupsInput{}
		if strings.HasPrefix(p.ref, "arn:") {
			in.TargetGroupArns = []string{p.ref}
		} else {
			in.Names = []string{p.ref}
		}
		out, err := s.client.DescribeTargetGroups(ctx, in)
		if err != nil {
			return groups{}, mapErr(err, "target %s: describe target group %s", t.Name, p.ref)
		}
		if len(out.TargetGroups) != 1 || out.TargetGroups[0].TargetGroupArn == nil {
			return groups{}, release.Errorf(release.ErrNotFound, "target %s: target group %s not found", t.Name, p.ref)
		}
		*p.arn = *out.TargetGroups[0].TargetGroupArn
	}
	return g, nil
}

// actions reads the actions of the listener (default actions) or rule.
func (s *Shifter) actions(ctx context.Context, listener, rule string) ([]types.Action, error) {
	if rule != "" {
		out, err := s.client.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{rule}})
		if err != nil {
			return nil, mapErr(err, "describe rule %s", rule)
		}
		if len(out.Rules) != 1 {
			return nil, release.Errorf(release.ErrNotFound, "rule %s not found", rule)
		}
		return out.Rules[0].Actions, nil
	}
	out, err := s.client.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{listener}})
	if err != nil {
		return nil, mapErr(err, "describe listener %s", listener)
	}
	if len(out.Listeners) != 1 {
		return nil, release.Errorf(release.ErrNotFound, "listener %s not found", listener)
	}
	return out.Listeners[0].DefaultActions, nil
}

// forwardIndex finds the one forward action.
func forwardIndex(acts []types.Action, what string) (int, error) {
	idx := -1
	for i, a := range acts {
		if a.Type == types.ActionTypeEnumForward {
			if idx >= 0 {
				return 0, release.Errorf(release.ErrInvalid, "%s has more than one forward action", what)
			}
			idx = i
		}
	}
	if idx < 0 {
		return 0, release.Errorf(release.ErrInvalid, "%s has no forward action to shift", what)
	}
	return idx, nil
}

type weighted struct {
	arn    string
	weight int32
}

// weights lists a forward action's groups in order with their weights.
func weights(a types.Action) []weighted {
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
		var out []weighted
		for _, g := range a.ForwardConfig.TargetGroups {
			w := int32(1)
			if g.Weight != nil {
				w = *g.Weight
			}
			out = append(out, weighted{aws.ToString(g.TargetGroupArn), w})
		}
		return out
	}
	return []weighted{{aws.ToString(a.TargetGroupArn), 1}}
}

// splitOf reads a forward action as a Split. Groups are listed stable first,
// as Shift writes them.
func splitOf(a types.Action, what string) (traffic.Split, error) {
	var live []weighted
	var total int32
	for _, w := range weights(a) {
		if w.weight > 0 {
			live = append(live, w)
			total += w.weight
		}
	}
	switch len(live) {
	case 0:
		return traffic.Split{}, fmt.Errorf("%s forwards no traffic: every target group has weight 0", what)
	case 1:
		return traffic.Split{Stable: live[0].arn}, nil
	case 2:
		pct := int(math.Round(100 * float64(live[1].weight) / float64(total)))
		pct = min(max(pct, 1), 99)
		return traffic.Split{Stable: live[0].arn, Candidate: live[1].arn, Weight: pct}, nil
	}
	return traffic.Split{}, fmt.Errorf("%s forwards to %d target groups, want at most 2", what, len(live))
}

// Current reads the production forward action's weights.
func (s *Shifter) Current(ctx context.Context, t release.Target) (traffic.Split, error) {
	if err := check(t); err != nil {
		return traffic.Split{}, err
	}
	acts, err := s.actions(ctx, t.ListenerARN, t.RuleARN)
	if err != nil {
		return traffic.Split{}, fmt.Errorf("read %s: %w", t.Name, err)
	}
	i, err := forwardIndex(acts, where(t))
	if err != nil {
		return traffic.Split{}, err
	}
	return splitOf(acts[i], where(t))
}

// Prepare picks the idle group (the one of blue and green that gets no
// production traffic) as the candidate, checks it has at least one healthy
// target, and points the test listener, if any, at it. The artifact itself
// is deployed into the idle group by the ECS service update that precedes
// Prepare; the shifter only moves traffic. It returns ErrConflict when a
// shift is already half done or the candidate has no healthy target.
func (s *Shifter) Prepare(ctx context.Context, t release.Target, artifact string) (string, error) {
	if err := check(t); err != nil {
		return "", err
	}
	if artifact == "" {
		return "", release.Errorf(release.ErrInvalid, "prepare %s: artifact is required", t.Name)
	}
	g, err := s.resolve(ctx, t)
	if err != nil {
		return "", fmt.Errorf("prepare %s: %w", t.Name, err)
	}
	cur, err := s.Current(ctx, t)
	if err != nil {
		return "", fmt.Errorf("prepare %s: %w", t.Name, err)
	}
	switch {
	case cur.Weight != 0:
		return "", release.Errorf(release.ErrConflict, "prepare %s: %s is mid-shift (%s); finish or roll back first", t.Name, where(t), cur)
	case !g.has(cur.Stable):
		return "", release.Errorf(release.ErrInvalid, "prepare %s: %s forwards to %s, which is neither the blue nor the green group", t.Name, where(t), cur.Stable)
	}
	cand := g.other(cur.Stable)
	if err := s.healthy(ctx, t, cand); err != nil {
		return "", fmt.Errorf("prepare %s: candidate %w", t.Name, err)
	}
	if t.TestListenerARN != "" {
		if err := s.point(ctx, t.TestListenerARN, "", []weighted{{cand, 1}}); err != nil {
			return "", fmt.Errorf("prepare %s: test listener: %w", t.Name, err)
		}
	}
	return cand, nil
}

// Shift rewrites the production forward action: {Stable 100-w, Candidate w}
// for a partial split, Candidate alone for the final switch and Stable alone
// for Weight 0. The test listener, if any, follows: all on Candidate while
// any traffic is on it, all on Stable after a rollback. Production is
// changed first so a rollback moves real traffic as early as possible.
func (s *Shifter) Shift(ctx context.Context, t release.Target, sp traffic.Split) error {
	if err := check(t); err != nil {
		return err
	}
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("shift %s: %w", t.Name, err)
	}
	g, err := s.resolve(ctx, t)
	if err != nil {
		return fmt.Errorf("shift %s: %w", t.Name, err)
	}
	for _, v := range []string{sp.Stable, sp.Candidate} {
		if v != "" && !g.has(v) {
			return release.Errorf(release.ErrInvalid, "shift %s: %q is neither the blue group %s nor the green group %s", t.Name, v, g.blue, g.green)
		}
	}
	var prod []weighted
	test := sp.Candidate
	switch sp.Weight {
	case 0:
		prod = []weighted{{sp.Stable, 100}}
		test = sp.Stable
	case 100:
		prod = []weighted{{sp.Candidate, 100}}
	default:
		prod = []weighted{{sp.Stable, int32(100 - sp.Weight)}, {sp.Candidate, int32(sp.Weight)}}
	}
	if err := s.point(ctx, t.ListenerARN, t.RuleARN, prod); err != nil {
		return fmt.Errorf("shift %s to %s: %w", t.Name, sp, err)
	}
	if t.TestListenerARN != "" {
		if err := s.point(ctx, t.TestListenerARN, "", []weighted{{test, 1}}); err != nil {
			return fmt.Errorf("shift %s: test listener: %w", t.Name, err)
		}
	}
	return nil
}

// point replaces the forward action of a listener (or rule) with one over
// groups, keeping the other actions, the action's order and its stickiness
// settings; a rule's conditions are not sent and so stay as they are.
func (s *Shifter) point(ctx context.Context, listener, rule string, groupsTo []weighted) error {
	what := "listener " + listener
	if rule != "" {
		what = "rule " + rule
	}
	acts, err := s.actions(ctx, listener, rule)
	if err != nil {
		return err
	}
	i, err := forwardIndex(acts, what)
	if err != nil {
		return err
	}
	fwd := acts[i]
	cfg := &types.ForwardActionConfig{}
	if fwd.ForwardConfig != nil {
		cfg.TargetGroupStickinessConfig = fwd.ForwardConfig.TargetGroupStickinessConfig
	}
	for _, g := range groupsTo {
		cfg.TargetGroups = append(cfg.TargetGroups, types.TargetGroupTuple{TargetGroupArn: aws.String(g.arn), Weight: aws.Int32(g.weight)})
	}
	fwd.TargetGroupArn = nil
	fwd.ForwardConfig = cfg
	next := make([]types.Action, len(acts))
	copy(next, acts)
	next[i] = fwd
	for j := range next {
		// Describe calls never return an OIDC client secret; ModifyListener
		// keeps the stored one only when asked to.
		if c := next[j].AuthenticateOidcConfig; c != nil && c.ClientSecret == nil {
			cc := *c
			cc.UseExistingClientSecret = aws.Bool(true)
			next[j].AuthenticateOidcConfig = &cc
		}
	}
	if rule != "" {
		if _, err := s.client.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: aws.String(rule), Actions: next}); err != nil {
			return mapErr(err, "modify %s", what)
		}
		return nil
	}
	if _, err := s.client.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(listener), DefaultActions: next}); err != nil {
		return mapErr(err, "modify %s", what)
	}
	return nil
}

// Verify reads production (and the test listener) back and compares them
// with sp.
func (s *Shifter) Verify(ctx context.Context, t release.Target, sp traffic.Split) error {
	live, err := s.Current(ctx, t)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !live.Same(sp) {
		return traffic.Mismatch(t.Name, live, sp)
	}
	if t.TestListenerARN == "" {
		return nil
	}
	want := sp.Candidate
	if sp.Weight == 0 {
		want = sp.Stable
	}
	acts, err := s.actions(ctx, t.TestListenerARN, "")
	if err != nil {
		return fmt.Errorf("verify %s: test listener: %w", t.Name, err)
	}
	i, err := forwardIndex(acts, "test listener "+t.TestListenerARN)
	if err != nil {
		return err
	}
	test, err := splitOf(acts[i], "test listener "+t.TestListenerARN)
	if err != nil {
		return fmt.Errorf("verify %s: %w", t.Name, err)
	}
	if test.Settled() != (traffic.Split{Stable: want}) {
		return release.Errorf(release.ErrConflict, "verify %s: test listener sends %s, want 100%% on %s", t.Name, test, want)
	}
	return nil
}

// mapErr wraps an ELBv2 error with context and the matching domain kind.
func mapErr(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ListenerNotFound", "RuleNotFound", "TargetGroupNotFound", "LoadBalancerNotFound":
			return release.Errorf(release.ErrNotFound, "%s: %w", msg, err)
		case "ValidationError", "InvalidConfigurationRequest":
			return release.Errorf(release.ErrInvalid, "%s: %w", msg, err)
		}
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// Serving checks that the target group version (one of the target's two)
// has at least one healthy target.
func (s *Shifter) Serving(ctx context.Context, t release.Target, version string) error {
	if err := check(t); err != nil {
		return err
	}
	g, err := s.resolve(ctx, t)
	if err != nil {
		return err
	}
	if !g.has(version) {
		return release.Errorf(release.ErrNotFound, "serving %s: %s is neither its blue nor its green group", t.Name, version)
	}
	return s.healthy(ctx, t, version)
}

func (s *Shifter) healthy(ctx context.Context, t release.Target, group string) error {
	health, err := s.client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(group)})
	if err != nil {
		return mapErr(err, "%s: describe health of %s", t.Name, group)
	}
	healthy := 0
	for _, d := range health.TargetHealthDescriptions {
		if d.TargetHealth != nil && d.TargetHealth.State == types.TargetHealthStateEnumHealthy {
			healthy++
		}
	}
	if healthy == 0 {
		return release.Errorf(release.ErrConflict, "group %s of %s has no healthy targets (of %d registered)", group, t.Name, len(health.TargetHealthDescriptions))
	}
	return nil
}
