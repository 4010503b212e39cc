package awsfake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/awsfake"
)

func TestLambdaAliasRoundTrip(t *testing.T) {
	ctx := context.Background()
	fake := awsfake.NewLambda(t)
	fake.AddFunction("orders", "sha-1")
	v1 := fake.Publish("orders", "build-1")
	fake.UpdateCode("orders", "sha-2")
	v2 := fake.Publish("orders", "build-2")
	fake.CreateAlias("orders", "live", v1)
	client := lambda.NewFromConfig(awsfake.Config(fake.URL()))

	_, err := client.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String("orders"),
		Name:            aws.String("live"),
		FunctionVersion: aws.String(v1),
		RoutingConfig:   &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{v2: 0.07}},
	})
	if err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
	got, err := client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")})
	if err != nil {
		t.Fatalf("GetAlias: %v", err)
	}
	if *got.FunctionVersion != v1 || got.RoutingConfig == nil || got.RoutingConfig.AdditionalVersionWeights[v2] != 0.07 {
		t.Errorf("GetAlias = %s %+v, want %s with %s at 0.07", *got.FunctionVersion, got.RoutingConfig, v1, v2)
	}
	reqs := fake.Requests("UpdateAlias")
	if len(reqs) != 1 {
		t.Fatalf("got %d UpdateAlias requests, want 1", len(reqs))
	}
	if got := reqs[0].Params["Name"]; got != "live" {
		t.Errorf("recorded Name = %v, want live", got)
	}

	// An invalid weight is rejected with the service's error code.
	_, err = client.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:  aws.String("orders"),
		Name:          aws.String("live"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{v2: 1.5}},
	})
	var invalid *lambdatypes.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		t.Errorf("UpdateAlias weight 1.5: err = %v, want InvalidParameterValueException", err)
	}
}

func TestFaultsAreRetriedBySDK(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		run     func(t *testing.T, faults int) (attempts int, err error)
		wantErr string
	}{
		{
			name: "lambda throttling",
			run: func(t *testing.T, faults int) (int, error) {
				fake := awsfake.NewLambda(t)
				fake.AddFunction("f", "sha")
				fake.Throttle("GetFunction", faults)
				_, err := lambda.NewFromConfig(awsfake.Config(fake.URL())).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
				return len(fake.Requests("GetFunction")), err
			},
			wantErr: "TooManyRequestsException",
		},
		{
			name: "elbv2 throttling",
			run: func(t *testing.T, faults int) (int, error) {
				fake := awsfake.NewELBv2(t)
				fake.Throttle("DescribeTargetGroups", faults)
				_, err := elb.NewFromConfig(awsfake.Config(fake.URL())).DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
				return len(fake.Requests("DescribeTargetGroups")), err
			},
			wantErr: "Throttling",
		},
		{
			name: "cloudwatch throttling",
			run: func(t *testing.T, faults int) (int, error) {
				fake := awsfake.NewCloudWatch(t)
				fake.Throttle("DescribeAlarms", faults)
				_, err := cloudwatch.NewFromConfig(awsfake.Config(fake.URL())).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
				return len(fake.Requests("DescribeAlarms")), err
			},
			wantErr: "Throttling",
		},
		{
			name: "cloudwatch 500",
			run: func(t *testing.T, faults int) (int, error) {
				fake := awsfake.NewCloudWatch(t)
				fake.FailServer("DescribeAlarms", faults)
				_, err := cloudwatch.NewFromConfig(awsfake.Config(fake.URL())).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
				return len(fake.Requests("DescribeAlarms")), err
			},
			wantErr: "InternalServiceFault",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/recovers", func(t *testing.T) {
			attempts, err := tt.run(t, 2)
			if err != nil {
				t.Fatalf("got error %v after 2 faults, want success on the third attempt", err)
			}
			if attempts != 3 {
				t.Errorf("got %d attempts, want 3", attempts)
			}
		})
		t.Run(tt.name+"/persists", func(t *testing.T) {
			attempts, err := tt.run(t, 0)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantErr {
				t.Fatalf("got error %v, want API error %s", err, tt.wantErr)
			}
			if attempts != 3 {
				t.Errorf("got %d attempts, want 3", attempts)
			}
		})
	}
}

func TestELBv2ListenerRoundTrip(t *testing.T) {
	ctx := context.Background()
	fake := awsfake.NewELBv2(t)
	blue := fake.AddTargetGroup("orders-blue", "10.0.0.1")
	green := fake.AddTargetGroup("orders-green", "10.0.0.2")
	ln := fake.AddListener(443, oidc(), awsfake.Forward(awsfake.TargetWeight{TargetGroupArn: blue, Weight: 1}))
	client := elb.NewFromConfig(awsfake.Config(fake.URL()))

	out, err := client.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{ln}})
	if err != nil {
		t.Fatalf("DescribeListeners: %v", err)
	}
	acts := out.Listeners[0].DefaultActions
	if len(acts) != 2 || acts[0].AuthenticateOidcConfig == nil || *acts[0].AuthenticateOidcConfig.Issuer != "https://idp.example" {
		t.Fatalf("DescribeListeners actions = %+v, want oidc then forward", acts)
	}
	fwd := acts[1]
	fwd.ForwardConfig = &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
		{TargetGroupArn: aws.String(blue), Weight: aws.Int32(90)},
		{TargetGroupArn: aws.String(green), Weight: aws.Int32(10)},
	}}
	fwd.TargetGroupArn = nil
	if _, err := client.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(ln), DefaultActions: []elbtypes.Action{acts[0], fwd}}); err != nil {
		t.Fatalf("ModifyListener: %v", err)
	}
	live := fake.ListenerActions(ln)
	if got := live[1].Forward; len(got) != 2 || got[0].Weight != 90 || got[1].Weight != 10 {
		t.Errorf("live forward = %+v, want blue 90, green 10", got)
	}
	if got := live[0].Extra["AuthenticateOidcConfig.Issuer"]; got != "https://idp.example" {
		t.Errorf("live oidc issuer = %q, want it preserved", got)
	}

	_, err = client.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(ln), DefaultActions: []elbtypes.Action{{
		Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String("arn:nope"), Weight: aws.Int32(1)}}},
	}}})
	var nf *elbtypes.TargetGroupNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("ModifyListener to unknown group: err = %v, want TargetGroupNotFoundException", err)
	}
}

func TestCloudWatchDescribeAlarms(t *testing.T) {
	ctx := context.Background()
	fake := awsfake.NewCloudWatch(t)
	fake.PutAlarm(awsfake.Alarm{Name: "cpu", State: "OK"})
	fake.PutAlarm(awsfake.Alarm{Name: "health", Composite: true, State: "ALARM", Reason: "child in alarm"})
	client := cloudwatch.NewFromConfig(awsfake.Config(fake.URL()))

	tests := []struct {
		name          string
		in            cloudwatch.DescribeAlarmsInput
		wantMetric    []string
		wantComposite []string
	}{
		{name: "default types are metric only", in: cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu", "health"}}, wantMetric: []string{"cpu"}},
		{name: "both types", in: cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu", "health"}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm, cwtypes.AlarmTypeMetricAlarm}}, wantMetric: []string{"cpu"}, wantComposite: []string{"health"}},
		{name: "missing name", in: cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"nope"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeAlarms(ctx, &tt.in)
			if err != nil {
				t.Fatalf("DescribeAlarms: %v", err)
			}
			var metric, composite []string
			for _, a := range out.MetricAlarms {
				metric = append(metric, *a.AlarmName+"="+string(a.StateValue))
			}
			for _, a := range out.CompositeAlarms {
				composite = append(composite, *a.AlarmName)
				if a.StateUpdatedTimestamp == nil || a.StateUpdatedTimestamp.IsZero() {
					t.Errorf("composite %s has no StateUpdatedTimestamp", *a.AlarmName)
				}
			}
			if len(metric) != len(tt.wantMetric) || len(composite) != len(tt.wantComposite) {
				t.Errorf("got metric %v composite %v, want %v %v", metric, composite, tt.wantMetric, tt.wantComposite)
			}
		})
	}
	reqs := fake.Requests("DescribeAlarms")
	if got := reqs[1].Params["AlarmTypes"]; len(got.([]any)) != 2 {
		t.Errorf("recorded AlarmTypes = %v, want two types", got)
	}
}

func oidc() awsfake.Action {
	return awsfake.Action{Type: "authenticate-oidc", Extra: map[string]string{
		"AuthenticateOidcConfig.Issuer":                "https://idp.example",
		"AuthenticateOidcConfig.AuthorizationEndpoint": "https://idp.example/auth",
		"AuthenticateOidcConfig.TokenEndpoint":         "https://idp.example/token",
		"AuthenticateOidcConfig.UserInfoEndpoint":      "https://idp.example/userinfo",
		"AuthenticateOidcConfig.ClientId":              "shipwave",
	}}
}

func TestLambdaPublishVersionSemantics(t *testing.T) {
	ctx := context.Background()
	fake := awsfake.NewLambda(t)
	fake.AddFunction("orders", "sha-1")
	client := lambda.NewFromConfig(awsfake.Config(fake.URL()))
	publish := func(sha, desc string) (*lambda.PublishVersionOutput, error) {
		return client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), CodeSha256: aws.String(sha), Description: aws.String(desc)})
	}
	first, err := publish("sha-1", "build-1")
	if err != nil || *first.Version != "1" || *first.Description != "build-1" {
		t.Fatalf("first publish = %+v, %v; want version 1 for build-1", first, err)
	}
	again, err := publish("sha-1", "build-1b")
	if err != nil || *again.Version != "1" || *again.Description != "build-1" {
		t.Errorf("publish without code change = %+v, %v; want version 1 returned unchanged", again, err)
	}
	_, err = publish("sha-stale", "build-2")
	var pre *lambdatypes.PreconditionFailedException
	if !errors.As(err, &pre) {
		t.Errorf("publish with a stale CodeSha256 = %v, want PreconditionFailedException", err)
	}
	fake.UpdateCode("orders", "sha-2")
	second, err := publish("sha-2", "build-2")
	if err != nil || *second.Version != "2" || *second.CodeSha256 != "sha-2" {
		t.Errorf("publish after code change = %+v, %v; want version 2 with sha-2", second, err)
	}
	if got := fake.Versions("orders"); got["1"] != "build-1" || got["2"] != "build-2" || len(got) != 2 {
		t.Errorf("Versions = %v, want 1=build-1, 2=build-2", got)
	}
}
