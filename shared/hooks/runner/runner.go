package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/hooks"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
)

// LambdaAPI is the part of the Lambda client the runner uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// DefaultTimeout bounds a hook whose spec sets no timeout.
const DefaultTimeout = time.Minute

// maxBody caps how much of a hook's answer is read.
const maxBody = 64 << 10

// Config holds a Runner's dependencies.
type Config struct {
	// Lambda invokes Lambda hooks; required only for them.
	Lambda LambdaAPI
	// HTTPClient sends HTTP hooks; nil means a default client. The runner
	// uses a copy that never follows redirects.
	HTTPClient *http.Client
	// Secret signs HTTP hook requests; required only for them.
	Secret []byte
	// Now is the clock for signature timestamps; nil means time.Now.
	Now func() time.Time
	// DefaultTimeout applies to hooks without a timeout; zero means
	// DefaultTimeout.
	DefaultTimeout time.Duration
	// Logger records every hook run with the release's ids; nil discards.
	Logger *slog.Logger
}

// Runner runs hooks.
type Runner struct {
	lambda  LambdaAPI
	http    *http.Client
	secret  []byte
	now     func() time.Time
	timeout time.Duration
	log     *slog.Logger
}

// New returns a Runner built from cfg.
func New(cfg Config) *Runner {
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := &Runner{lambda: cfg.Lambda, http: client, secret: cfg.Secret, now: cfg.Now, timeout: cfg.DefaultTimeout, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	return r
}

// Run runs hook h for inv and returns nil only when the hook passed. A hook
// that says no, errors, times out or cannot be reached yields *hooks.Failed. A
// hook or invocation that is misconfigured yields an ErrInvalid-kind error,
// and a Lambda API failure that survived the client's retries is returned
// wrapped, as a transient error the caller may retry.
func (r *Runner) Run(ctx context.Context, h release.Hook, inv hooks.Invocation) error {
	if inv.Phase != hooks.PreTraffic && inv.Phase != hooks.PostTraffic {
		return release.Errorf(release.ErrInvalid, "run hook: phase %q is not %s or %s", inv.Phase, hooks.PreTraffic, hooks.PostTraffic)
	}
	if (h.Lambda == "") == (h.HTTP == "") {
		return release.Errorf(release.ErrInvalid, "run %s hook: exactly one of lambda and http must be set", inv.Phase)
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = r.timeout
	}
	body, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("run %s hook: encode invocation: %w", inv.Phase, err)
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := r.now()
	if h.Lambda != "" {
		err = r.runLambda(hctx, h.Lambda, inv.Phase, body, timeout)
	} else {
		err = r.runHTTP(hctx, h.HTTP, inv.Phase, body, timeout)
	}
	attrs := []any{
		slog.String("release", inv.ReleaseID), slog.String("pipeline", inv.Pipeline),
		slog.String("stage", inv.Stage), slog.String("wave", inv.Wave), slog.String("target", inv.Target),
		slog.String("phase", string(inv.Phase)), slog.String("lambda", h.Lambda), slog.String("http", redact(h.HTTP)),
		slog.Duration("took", r.now().Sub(start)),
	}
	var failed *hooks.Failed
	switch {
	case err == nil:
		r.log.InfoContext(ctx, "hook passed", attrs...)
	case errors.As(err, &failed):
		r.log.WarnContext(ctx, "hook failed", append(attrs, slog.String("reason", failed.Reason))...)
	default:
		r.log.ErrorContext(ctx, "hook could not run", append(attrs, slog.String("error", err.Error()))...)
	}
	return err
}

// redact hides credentials in a hook URL for logs.
func redact(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (r *Runner) runLambda(ctx context.Context, fn string, phase hooks.Phase, body []byte, timeout time.Duration) error {
	if r.lambda == nil {
		return release.Errorf(release.ErrInvalid, "run %s hook %s: no Lambda client configured", phase, fn)
	}
	fail := func(format string, args ...any) error {
		return &hooks.Failed{Phase: phase, Hook: "lambda " + fn, Reason: fmt.Sprintf(format, args...)}
	}
	out, err := r.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        body,
	})
	if err != nil {
		var apiErr smithy.APIError
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return fail("no answer within %s", timeout)
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException":
			return fail("function not found: %s", apiErr.ErrorMessage())
		}
		return fmt.Errorf("run %s hook: invoke lambda %s: %w", phase, fn, err)
	}
	if out.FunctionError != nil {
		return fail("function error (%s): %s", aws.ToString(out.FunctionError), functionErrorMessage(out.Payload))
	}
	if out.StatusCode < 200 || out.StatusCode > 299 {
		return fail("invoke returned status %d", out.StatusCode)
	}
	if ok, reason := verdict(out.Payload); !ok {
		return fail("%s", reason)
	}
	return nil
}

// functionErrorMessage extracts errorType and errorMessage from the payload
// Lambda returns for a function error.
func functionErrorMessage(payload []byte) string {
	var e struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &e) != nil || e.ErrorMessage == "" && e.ErrorType == "" {
		return truncate(string(payload), 256)
	}
	if e.ErrorType == "" {
		return truncate(e.ErrorMessage, 256)
	}
	return truncate(e.ErrorType+": "+e.ErrorMessage, 256)
}

// verdict reads a hook's answer. An object with "status" "Failed" (any
// case) fails with its "reason"; "Succeeded", no status, or an answer that
// is not a JSON object passes; any other status fails as unknown.
func verdict(payload []byte) (ok bool, reason string) {
	var v struct {
		Status *string `json:"status"`
		Reason string  `json:"reason"`
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return true, ""
	}
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return false, "answer is not valid JSON: " + truncate(err.Error(), 128)
	}
	if v.Status == nil {
		return true, ""
	}
	switch strings.ToLower(*v.Status) {
	case "succeeded", "success", "":
		return true, ""
	case "failed", "failure":
		if v.Reason == "" {
			return false, "hook reported Failed without a reason"
		}
		return false, truncate(v.Reason, 512)
	}
	return false, fmt.Sprintf("unknown status %q", truncate(*v.Status, 64))
}

func (r *Runner) runHTTP(ctx context.Context, endpoint string, phase hooks.Phase, body []byte, timeout time.Duration) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return release.Errorf(release.ErrInvalid, "run %s hook: http %q is not an http(s) URL", phase, endpoint)
	}
	if len(r.secret) == 0 {
		return release.Errorf(release.ErrInvalid, "run %s hook %s: no signing secret configured", phase, u.Redacted())
	}
	fail := func(format string, args ...any) error {
		return &hooks.Failed{Phase: phase, Hook: "http " + u.Redacted(), Reason: fmt.Sprintf(format, args...)}
	}
	ts := strconv.FormatInt(r.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return release.Errorf(release.ErrInvalid, "run %s hook: build request: %w", phase, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Shipwave-Hook/1")
	req.Header.Set(hooks.HeaderTimestamp, ts)
	req.Header.Set(hooks.HeaderSignature, hooks.Sign(r.secret, ts, body))
	if trace := observe.TraceHeader(ctx); trace != "" {
		// The hook's own X-Ray segment joins the release's trace.
		req.Header.Set(hooks.HeaderTrace, trace)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail("no answer within %s", timeout)
		}
		return fail("request failed: %v", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail("no complete answer within %s", timeout)
		}
		return fail("read answer: %v", err)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fail("HTTP %d redirect to %q not followed", resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fail("HTTP %d: %s", resp.StatusCode, truncate(strings.TrimSpace(string(answer)), 256))
	}
	if ok, reason := verdict(answer); !ok {
		return fail("%s", reason)
	}
	return nil
}

// truncate cuts s to n bytes for a log or error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
