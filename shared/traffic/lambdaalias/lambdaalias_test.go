package lambdaalias_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
	"github.com/shipwave/shipwave/shared/traffic/traffictest"
)

var target = release.Target{Type: release.TargetLambdaAlias, Name: "orders-live", Function: "orders", Alias: "live"}

// newFake returns a fake Lambda where orders:live serves version 1 (built
// from "build-1") and $LATEST already holds newer code.
func newFake(t testing.TB) *awsfake.Lambda {
	t.Helper()
	fake := awsfake.NewLambda(t)
	fake.AddFunction("orders", "sha-build-1")
	v := fake.Publish("orders", "build-1")
	fake.CreateAlias("orders", "live", v)
	fake.UpdateCode("orders", "sha-build-2")
	return fake
}

func TestContract(t *testing.T) {
	traffictest.Run(t, func(t *testing.T) (traffic.Shifter, release.Target) {
		fake := newFake(t)
		return lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL()))), target
	})
}

func TestShiftSendsAliasRouting(t *testing.T) {
	tests := []struct {
		name        string
		split       traffic.Split
		wantVersion string
		wantWeights map[string]any
	}{
		{name: "canary", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 10}, wantVersion: "1", wantWeights: map[string]any{"2": 0.1}},
		{name: "final switch", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 100}, wantVersion: "2", wantWeights: map[string]any{}},
		{name: "rollback", split: traffic.Split{Stable: "1", Candidate: "2", Weight: 0}, wantVersion: "1", wantWeights: map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Publish("orders", "build-2")
			s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL())))
			if err := s.Shift(context.Background(), target, tt.split); err != nil {
				t.Fatalf("Shift: %v", err)
			}
			reqs := fake.Requests("UpdateAlias")
			if len(reqs) != 1 {
				t.Fatalf("got %d UpdateAlias requests, want 1", len(reqs))
			}
			p := reqs[0].Params
			if got := p["FunctionVersion"]; got != tt.wantVersion {
				t.Errorf("FunctionVersion = %v, want %s", got, tt.wantVersion)
			}
			rc, ok := p["RoutingConfig"].(map[string]any)
			if !ok {
				t.Fatalf("RoutingConfig = %v, want it sent (an empty one clears the routing)", p["RoutingConfig"])
			}
			got, _ := rc["AdditionalVersionWeights"].(map[string]any)
			if len(got) != len(tt.wantWeights) {
				t.Fatalf("AdditionalVersionWeights = %v, want %v", got, tt.wantWeights)
			}
			for k, v := range tt.wantWeights {
				if got[k] != v {
					t.Errorf("AdditionalVersionWeights[%s] = %v, want %v", k, got[k], v)
				}
			}
			if p["RevisionId"] == nil {
				t.Errorf("UpdateAlias sent no RevisionId; concurrent changes would be overwritten")
			}
		})
	}
}

func TestEveryWeightRoundTripsExactly(t *testing.T) {
	fake := newFake(t)
	fake.Publish("orders", "build-2")
	s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL())))
	ctx := context.Background()
	for w := 1; w <= 99; w++ {
		want := traffic.Split{Stable: "1", Candidate: "2", Weight: w}
		if err := s.Shift(ctx, target, want); err != nil {
			t.Fatalf("Shift(%d): %v", w, err)
		}
		live, _ := fake.Alias("orders", "live")
		if got := live.Weights["2"]; strconv.FormatFloat(got, 'f', -1, 64) != strconv.FormatFloat(float64(w)/100, 'f', -1, 64) || got > 1 {
			t.Errorf("weight %d stored as %v, want %v", w, got, float64(w)/100)
		}
		got, err := s.Current(ctx, target)
		if err != nil {
			t.Fatalf("Current: %v", err)
		}
		if got != want {
			t.Errorf("Current after Shift(%d) = %+v, want %+v", w, got, want)
		}
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *awsfake.Lambda)
		artifact string
		want     string
		wantKind error
	}{
		{name: "publishes LATEST with the artifact", artifact: "build-2", want: "2"},
		{name: "existing version", artifact: "1", want: "1"},
		{name: "missing version", artifact: "9", wantKind: release.ErrNotFound},
		{name: "version zero", artifact: "0", wantKind: release.ErrInvalid},
		{name: "empty artifact", artifact: "", wantKind: release.ErrInvalid},
		{
			name:     "LATEST unchanged since another artifact",
			setup:    func(f *awsfake.Lambda) { f.Publish("orders", "build-2") },
			artifact: "build-3",
			wantKind: release.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL())))
			got, err := s.Prepare(context.Background(), target, tt.artifact)
			if tt.wantKind != nil {
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("Prepare(%q) = %q, %v; want error of kind %v", tt.artifact, got, err, tt.wantKind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Prepare(%q) = %q, %v; want %q", tt.artifact, got, err, tt.want)
			}
		})
	}
}

func TestPreparePublishesGuardedByCodeSha(t *testing.T) {
	fake := newFake(t)
	s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL())))
	if _, err := s.Prepare(context.Background(), target, "build-2"); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	reqs := fake.Requests("PublishVersion")
	if len(reqs) != 1 {
		t.Fatalf("got %d PublishVersion requests, want 1", len(reqs))
	}
	if got := reqs[0].Params["CodeSha256"]; got != "sha-build-2" {
		t.Errorf("PublishVersion CodeSha256 = %v, want sha-build-2", got)
	}
	if got := reqs[0].Params["Description"]; got != "build-2" {
		t.Errorf("PublishVersion Description = %v, want build-2", got)
	}
}

// racingClient changes the alias behind the shifter's back right after it
// reads it, as another deployment would.
type racingClient struct {
	*lambda.Client
	fake *awsfake.Lambda
}

func (c racingClient) GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	out, err := c.Client.GetAlias(ctx, in, opts...)
	c.fake.CreateAlias("orders", "live", "1")
	return out, err
}

func TestShiftLosesRaceWithConflict(t *testing.T) {
	fake := newFake(t)
	fake.Publish("orders", "build-2")
	s := lambdaalias.New(racingClient{Client: lambda.NewFromConfig(awsfake.Config(fake.URL())), fake: fake})
	err := s.Shift(context.Background(), target, traffic.Split{Stable: "1", Candidate: "2", Weight: 10})
	if !errors.Is(err, release.ErrConflict) {
		t.Fatalf("Shift during a concurrent change = %v, want ErrConflict", err)
	}
	if live, _ := fake.Alias("orders", "live"); len(live.Weights) != 0 {
		t.Errorf("alias weights = %v, want untouched", live.Weights)
	}
}

func TestAWSFailures(t *testing.T) {
	tests := []struct {
		name         string
		inject       func(f *awsfake.Lambda)
		wantErr      bool
		wantAttempts int
	}{
		{name: "throttled twice then succeeds", inject: func(f *awsfake.Lambda) { f.Throttle("UpdateAlias", 2) }, wantAttempts: 3},
		{name: "500 once then succeeds", inject: func(f *awsfake.Lambda) { f.FailServer("UpdateAlias", 1) }, wantAttempts: 2},
		{name: "persistent 500", inject: func(f *awsfake.Lambda) { f.FailServer("UpdateAlias", 0) }, wantErr: true, wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Publish("orders", "build-2")
			tt.inject(fake)
			s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config(fake.URL())))
			err := s.Shift(context.Background(), target, traffic.Split{Stable: "1", Candidate: "2", Weight: 10})
			if got := len(fake.Requests("UpdateAlias")); got != tt.wantAttempts {
				t.Errorf("got %d UpdateAlias attempts, want %d", got, tt.wantAttempts)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Shift: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "shift orders:live") || !strings.Contains(err.Error(), "ServiceException") {
				t.Errorf("Shift error = %v, want context and the service error", err)
			}
		})
	}
}

func TestRejectsWrongTarget(t *testing.T) {
	s := lambdaalias.New(lambda.NewFromConfig(awsfake.Config("http://127.0.0.1:1")))
	bad := release.Target{Type: release.TargetECSBlueGreen, Name: "x"}
	if _, err := s.Current(context.Background(), bad); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Current(ecs target) = %v, want ErrInvalid", err)
	}
	if err := s.Shift(context.Background(), release.Target{Type: release.TargetLambdaAlias, Function: "f"}, traffic.Split{Stable: "1"}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Shift(target without alias) = %v, want ErrInvalid", err)
	}
}
