package albweights_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/shipwave/shipwave/shared/mototest"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/albweights"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// motoStack builds on moto what newStack fakes: an ALB in a VPC with blue
// and green IP target groups, a listener and an /api/* rule forwarding to
// blue, and a test listener.
func motoStack(t *testing.T) (*elb.Client, release.Target, release.Target) {
	t.Helper()
	ctx := context.Background()
	const ec2Version = "2016-11-15"
	vpc := mototest.XMLValue(t, mototest.Query(t, "ec2", ec2Version, map[string]string{"Action": "CreateVpc", "CidrBlock": "10.0.0.0/16"}), "vpcId")
	var subnets []string
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		out := mototest.Query(t, "ec2", ec2Version, map[string]string{"Action": "CreateSubnet", "VpcId": vpc, "CidrBlock": []string{"10.0.1.0/24", "10.0.2.0/24"}[i], "AvailabilityZone": az})
		subnets = append(subnets, mototest.XMLValue(t, out, "subnetId"))
	}
	client := elb.NewFromConfig(mototest.Config(t))
	lb, err := client.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(mototest.Name(t, 32)), Subnets: subnets, Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	lbArn := lb.LoadBalancers[0].LoadBalancerArn
	group := func(ips ...string) (string, string) {
		name := mototest.Name(t, 32)
		tg, err := client.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), VpcId: aws.String(vpc), TargetType: elbtypes.TargetTypeEnumIp})
		if err != nil {
			t.Fatalf("CreateTargetGroup: %v", err)
		}
		arn := tg.TargetGroups[0].TargetGroupArn
		var targets []elbtypes.TargetDescription
		for _, ip := range ips {
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(ip), Port: aws.Int32(8080)})
		}
		if _, err := client.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: targets}); err != nil {
			t.Fatalf("RegisterTargets: %v", err)
		}
		return name, aws.ToString(arn)
	}
	blueName, blue := group("10.0.1.10", "10.0.1.11")
	greenName, green := group("10.0.2.10", "10.0.2.11")
	toBlue := func(order int32) elbtypes.Action {
		return elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(order), ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(blue), Weight: aws.Int32(1)}}}}
	}
	listener := func(port int32) string {
		l, err := client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: []elbtypes.Action{toBlue(1)}})
		if err != nil {
			t.Fatalf("CreateListener: %v", err)
		}
		return aws.ToString(l.Listeners[0].ListenerArn)
	}
	prod, test := listener(80), listener(8443)
	rule, err := client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(prod), Priority: aws.Int32(10),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api/*"}}}},
		Actions:    []elbtypes.Action{toBlue(1)}})
	if err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	byName := release.Target{Type: release.TargetECSBlueGreen, Name: "orders-ecs", ListenerARN: prod, BlueTargetGroup: blueName, GreenTargetGroup: greenName}
	byRule := byName
	byRule.RuleARN, byRule.TestListenerARN = aws.ToString(rule.Rules[0].RuleArn), test
	byRule.BlueTargetGroup, byRule.GreenTargetGroup = blue, green
	return client, byName, byRule
}

// TestContractMoto runs the shifter contract against moto's ELBv2, on a
// listener and on a rule with a test listener.
func TestContractMoto(t *testing.T) {
	t.Run("listener", func(t *testing.T) {
		traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
			client, tg, _ := motoStack(t)
			return albweights.New(client), tg
		})
	})
	t.Run("rule", func(t *testing.T) {
		traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
			client, _, tg := motoStack(t)
			return albweights.New(client), tg
		})
	})
}
