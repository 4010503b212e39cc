package lambdaalias

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/traffic"
)

// API is the part of the Lambda client the shifter uses.
type API interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, opts ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// Shifter shifts traffic on Lambda aliases. Versions in its Splits are
// published version numbers ("7"). Throttling and 5xx answers are retried
// by the client's retryer; what is left is returned with context.
type Shifter struct {
	client API
}

var _ traffic.Shifter = (*Shifter)(nil)

// New returns a Shifter using client.
func New(client API) *Shifter { return &Shifter{client: client} }

func check(t release.Target) error {
	if t.Type != release.TargetLambdaAlias {
		return release.Errorf(release.ErrInvalid, "lambda alias shifter: target %s has type %q, want %q", t.Name, t.Type, release.TargetLambdaAlias)
	}
	if t.Function == "" || t.Alias == "" {
		return release.Errorf(release.ErrInvalid, "lambda alias shifter: target %s needs function and alias", t.Name)
	}
	return nil
}

func aliasName(t release.Target) string { return t.Function + ":" + t.Alias }

// Prepare returns the version to shift to. A numeric artifact names an
// existing published version, which must exist. Any other artifact is a
// build label: $LATEST is published with the artifact as its description,
// guarded by $LATEST's CodeSha256. Lambda publishes nothing new when $LATEST
// has not changed since the last version, so preparing the same artifact
// again returns the same version; if that version was published for a
// different artifact, $LATEST does not hold this artifact's code and Prepare
// returns ErrConflict rather than ship the wrong code under its name.
func (s *Shifter) Prepare(ctx context.Context, t release.Target, artifact string) (string, error) {
	if err := check(t); err != nil {
		return "", err
	}
	if artifact == "" {
		return "", release.Errorf(release.ErrInvalid, "prepare %s: artifact is required", aliasName(t))
	}
	if n, err := strconv.Atoi(artifact); err == nil {
		if n < 1 {
			return "", release.Errorf(release.ErrInvalid, "prepare %s: version %q is not a published version", aliasName(t), artifact)
		}
		v := strconv.Itoa(n)
		if _, err := s.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.Function), Qualifier: aws.String(v)}); err != nil {
			return "", mapErr(err, "prepare %s: get version %s", aliasName(t), v)
		}
		return v, nil
	}
	fn, err := s.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.Function)})
	if err != nil {
		return "", mapErr(err, "prepare %s: get $LATEST", aliasName(t))
	}
	if fn.Configuration == nil || fn.Configuration.CodeSha256 == nil {
		return "", fmt.Errorf("prepare %s: GetFunction returned no CodeSha256 for $LATEST", aliasName(t))
	}
	out, err := s.client.PublishVersion(ctx, &lambda.PublishVersionInput{
		FunctionName: aws.String(t.Function),
		CodeSha256:   fn.Configuration.CodeSha256,
		Description:  aws.String(artifact),
	})
	if err != nil {
		return "", mapErr(err, "prepare %s: publish %s", aliasName(t), artifact)
	}
	v := aws.ToString(out.Version)
	if v == "" {
		return "", fmt.Errorf("prepare %s: PublishVersion returned no version", aliasName(t))
	}
	if d := aws.ToString(out.Description); d != artifact {
		return "", release.Errorf(release.ErrConflict,
			"prepare %s: $LATEST has not changed since version %s (published for %q), so it does not hold %q; update the function code first",
			aliasName(t), v, d, artifact)
	}
	return v, nil
}

// Current reads the alias's routing.
func (s *Shifter) Current(ctx context.Context, t release.Target) (traffic.Split, error) {
	if err := check(t); err != nil {
		return traffic.Split{}, err
	}
	a, err := s.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(t.Function), Name: aws.String(t.Alias)})
	if err != nil {
		return traffic.Split{}, mapErr(err, "read alias %s", aliasName(t))
	}
	return splitOf(aliasName(t), aws.ToString(a.FunctionVersion), a.RoutingConfig)
}

func splitOf(name, primary string, rc *types.AliasRoutingConfiguration) (traffic.Split, error) {
	sp := traffic.Split{Stable: primary}
	if rc == nil || len(rc.AdditionalVersionWeights) == 0 {
		return sp, nil
	}
	if len(rc.AdditionalVersionWeights) > 1 {
		return traffic.Split{}, fmt.Errorf("read alias %s: %d additional versions, want at most 1", name, len(rc.AdditionalVersionWeights))
	}
	for v, w := range rc.AdditionalVersionWeights {
		sp.Candidate = v
		sp.Weight = int(math.Round(w * 100))
	}
	return sp.Settled(), nil
}

// Shift updates the alias: FunctionVersion=Stable with the candidate weighted
// at Weight/100 for a partial split, FunctionVersion=Candidate with no
// routing for the final switch, and FunctionVersion=Stable with no routing
// for Weight 0. The update is conditional on the alias revision just read,
// so a concurrent change makes it fail with ErrConflict instead of being
// overwritten.
func (s *Shifter) Shift(ctx context.Context, t release.Target, sp traffic.Split) error {
	if err := check(t); err != nil {
		return err
	}
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("shift %s: %w", aliasName(t), err)
	}
	for _, v := range []string{sp.Stable, sp.Candidate} {
		if v != "" && !isVersion(v) {
			return release.Errorf(release.ErrInvalid, "shift %s: %q is not a published version number", aliasName(t), v)
		}
	}
	a, err := s.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(t.Function), Name: aws.String(t.Alias)})
	if err != nil {
		return mapErr(err, "shift %s: read alias", aliasName(t))
	}
	in := &lambda.UpdateAliasInput{
		FunctionName:  aws.String(t.Function),
		Name:          aws.String(t.Alias),
		RevisionId:    a.RevisionId,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	}
	switch sp.Weight {
	case 0:
		in.FunctionVersion = aws.String(sp.Stable)
	case 100:
		in.FunctionVersion = aws.String(sp.Candidate)
	default:
		in.FunctionVersion = aws.String(sp.Stable)
		in.RoutingConfig.AdditionalVersionWeights[sp.Candidate] = float64(sp.Weight) / 100
	}
	if _, err := s.client.UpdateAlias(ctx, in); err != nil {
		return mapErr(err, "shift %s to %s", aliasName(t), sp)
	}
	return nil
}

// Verify reads the alias back and compares it with sp.
func (s *Shifter) Verify(ctx context.Context, t release.Target, sp traffic.Split) error {
	live, err := s.Current(ctx, t)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !live.Same(sp) {
		return traffic.Mismatch(aliasName(t), live, sp)
	}
	return nil
}

func isVersion(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n > 0 && strconv.Itoa(n) == v
}

// mapErr wraps a Lambda error with context and the matching domain kind.
func mapErr(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ResourceNotFoundException":
			return release.Errorf(release.ErrNotFound, "%s: %w", msg, err)
		case "PreconditionFailedException", "ResourceConflictException":
			return release.Errorf(release.ErrConflict, "%s: %w", msg, err)
		case "InvalidParameterValueException":
			return release.Errorf(release.ErrInvalid, "%s: %w", msg, err)
		}
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// Serving checks that version is a published version of the function in
// the Active state (a version whose code failed to deploy, or is still
// pending, cannot serve).
func (s *Shifter) Serving(ctx context.Context, t release.Target, version string) error {
	if err := check(t); err != nil {
		return err
	}
	if !isVersion(version) {
		return release.Errorf(release.ErrInvalid, "serving %s: %q is not a published version number", aliasName(t), version)
	}
	out, err := s.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.Function), Qualifier: aws.String(version)})
	if err != nil {
		return mapErr(err, "serving %s: read version %s", aliasName(t), version)
	}
	if c := out.Configuration; c != nil && c.State != "" && c.State != types.StateActive {
		return release.Errorf(release.ErrConflict, "serving %s: version %s is %s (%s)", aliasName(t), version, c.State, aws.ToString(c.StateReason))
	}
	return nil
}
