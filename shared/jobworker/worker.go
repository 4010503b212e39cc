package jobworker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cp "github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"

	"github.com/shipwave/shipwave/shared/release"
)

// API is the part of the CodePipeline client the worker uses.
type API interface {
	PollForJobs(ctx context.Context, in *cp.PollForJobsInput, optFns ...func(*cp.Options)) (*cp.PollForJobsOutput, error)
	AcknowledgeJob(ctx context.Context, in *cp.AcknowledgeJobInput, optFns ...func(*cp.Options)) (*cp.AcknowledgeJobOutput, error)
	PutJobSuccessResult(ctx context.Context, in *cp.PutJobSuccessResultInput, optFns ...func(*cp.Options)) (*cp.PutJobSuccessResultOutput, error)
	PutJobFailureResult(ctx context.Context, in *cp.PutJobFailureResultInput, optFns ...func(*cp.Options)) (*cp.PutJobFailureResultOutput, error)
}

// Launcher creates and starts a release idempotently on the trigger key
// (triggers.Launcher).
type Launcher interface {
	Launch(ctx context.Context, pipeline, version string, t release.Trigger) (release.Release, bool, error)
}

// Releases reads a release and its log.
type Releases interface {
	// GetRelease returns the release or release.ErrNotFound.
	GetRelease(ctx context.Context, id string) (release.Release, error)
	// Events returns the release's log entries after afterSeq (all when
	// limit is 0).
	Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error)
}

// DefaultMaxWait is how long a job waits for its release before the worker
// gives up on it; CodePipeline ends a Lambda action's continuations after
// 12 hours in any case.
const DefaultMaxWait = 12 * time.Hour

// Worker runs CodePipeline jobs. Client, Launcher and Releases are
// required; MaxWait defaults to DefaultMaxWait, Now to time.Now and Logger
// to discarding.
type Worker struct {
	Client   API
	Launcher Launcher
	Releases Releases
	MaxWait  time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// Job is a CodePipeline job, whichever way it arrived.
type Job struct {
	ID                string
	UserParameters    string
	Revisions         []string // input artifact revisions, in order
	ContinuationToken string
}

// Params are the action's UserParameters, a JSON object.
type Params struct {
	// Pipeline is the Shipwave pipeline to release. Required.
	Pipeline string `json:"pipeline"`
	// Version is what to release; empty means the first input artifact's
	// revision (the source commit).
	Version string `json:"version,omitempty"`
}

// ParseParams decodes UserParameters. Errors are release.ErrInvalid and say
// what to put in the action's configuration.
func ParseParams(s string) (Params, error) {
	var p Params
	if strings.TrimSpace(s) == "" {
		return p, release.Errorf(release.ErrInvalid, `UserParameters is empty; set it to {"pipeline": "<shipwave pipeline>"}`)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, release.Errorf(release.ErrInvalid, `UserParameters is not {"pipeline": "...", "version": "..."}: %v`, err)
	}
	if dec.More() {
		return p, release.Errorf(release.ErrInvalid, "UserParameters: trailing data after the JSON object")
	}
	if p.Pipeline == "" {
		return p, release.Errorf(release.ErrInvalid, "UserParameters.pipeline is required")
	}
	return p, nil
}

// Outcome is what one invocation did.
type Outcome struct {
	JobID     string `json:"jobId"`
	ReleaseID string `json:"releaseId,omitempty"`
	// Result is succeeded, failed, continued or skipped (the job had
	// already ended in CodePipeline).
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// Handle runs the job of a Lambda invoke action event. It returns an error
// only when it could not put any result (CodePipeline unreachable), so that
// Lambda's retry can; a malformed event is a release.ErrInvalid error.
func (w *Worker) Handle(ctx context.Context, ev events.CodePipelineJobEvent) (Outcome, error) {
	j := ev.CodePipelineJob
	if j.ID == "" {
		return Outcome{}, release.Errorf(release.ErrInvalid, `codepipeline job event: "CodePipeline.job".id is missing`)
	}
	job := Job{ID: j.ID, UserParameters: j.Data.ActionConfiguration.Configuration.UserParameters, ContinuationToken: j.Data.ContinuationToken}
	for _, a := range j.Data.InputArtifacts {
		job.Revisions = append(job.Revisions, aws.ToString(a.Revision))
	}
	return w.Run(ctx, job)
}

// Poll takes the queued jobs of a custom action, acknowledges each and runs
// it. It returns one Outcome per job it ran.
func (w *Worker) Poll(ctx context.Context, actionType cptypes.ActionTypeId, max int32) ([]Outcome, error) {
	out, err := w.Client.PollForJobs(ctx, &cp.PollForJobsInput{ActionTypeId: &actionType, MaxBatchSize: aws.Int32(max)})
	if err != nil {
		return nil, fmt.Errorf("poll for %s/%s jobs: %w", actionType.Owner, aws.ToString(actionType.Provider), err)
	}
	var outcomes []Outcome
	var errs []error
	for _, j := range out.Jobs {
		id := aws.ToString(j.Id)
		ack, err := w.Client.AcknowledgeJob(ctx, &cp.AcknowledgeJobInput{JobId: j.Id, Nonce: j.Nonce})
		if err != nil {
			errs = append(errs, fmt.Errorf("acknowledge job %s: %w", id, err))
			continue
		}
		if ack.Status != cptypes.JobStatusInProgress {
			outcomes = append(outcomes, Outcome{JobID: id, Result: "skipped", Reason: "job is " + string(ack.Status)})
			continue
		}
		job := Job{ID: id}
		if d := j.Data; d != nil {
			job.ContinuationToken = aws.ToString(d.ContinuationToken)
			if d.ActionConfiguration != nil {
				job.UserParameters = d.ActionConfiguration.Configuration["UserParameters"]
			}
			for _, a := range d.InputArtifacts {
				if a.Revision != nil {
					job.Revisions = append(job.Revisions, *a.Revision)
				} else {
					job.Revisions = append(job.Revisions, "")
				}
			}
		}
		o, err := w.Run(ctx, job)
		outcomes = append(outcomes, o)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return outcomes, errors.Join(errs...)
}

// tokenPrefix versions the continuation tokens the worker hands out: it is
// followed by the release id, or "start" when the release could not be
// started yet (each call carries the job's parameters, so it starts again).
const (
	tokenPrefix = "shipwave/v1/"
	startToken  = tokenPrefix + "start"
)

// Run does one step of a job: the first step starts the release (keyed on
// the job id, so a redelivered job starts nothing new); every step checks
// the release and puts success with output variables, failure with a
// message, or a continuation to be called again.
func (w *Worker) Run(ctx context.Context, job Job) (Outcome, error) {
	log := w.logger().With("jobId", job.ID)
	o := Outcome{JobID: job.ID}
	var rel release.Release
	if job.ContinuationToken == "" || job.ContinuationToken == startToken {
		p, err := ParseParams(job.UserParameters)
		if err != nil {
			return w.fail(ctx, log, o, cptypes.FailureTypeConfigurationError, err.Error())
		}
		version := p.Version
		if version == "" && len(job.Revisions) > 0 {
			version = job.Revisions[0]
		}
		if version == "" {
			return w.fail(ctx, log, o, cptypes.FailureTypeConfigurationError,
				`no version to release: set UserParameters.version or give the action an input artifact with a revision`)
		}
		rel, _, err = w.Launcher.Launch(ctx, p.Pipeline, version, release.Trigger{
			Kind: release.TriggerCodePipeline, Key: "codepipeline:" + job.ID, Source: "codepipeline", Commit: version, Time: w.now().UTC(),
		})
		switch {
		case errors.Is(err, release.ErrNotFound), errors.Is(err, release.ErrInvalid), errors.Is(err, release.ErrUnauthorized):
			// ErrUnauthorized: the spec lists no codePipeline trigger.
			return w.fail(ctx, log, o, cptypes.FailureTypeConfigurationError, fmt.Sprintf("cannot release %s: %v", p.Pipeline, err))
		case err != nil:
			// Transient: ask to be called again; the launch is idempotent.
			log.WarnContext(ctx, "launch failed; continuing", "error", err)
			return w.cont(ctx, log, o, "", "starting the release failed, retrying: "+err.Error())
		}
		log = log.With("releaseId", rel.ID, "pipeline", rel.Pipeline)
		log.InfoContext(ctx, "job started release")
	} else {
		id, ok := strings.CutPrefix(job.ContinuationToken, tokenPrefix)
		if !ok || id == "" {
			return w.fail(ctx, log, o, cptypes.FailureTypeJobFailed, fmt.Sprintf("continuation token %q was not issued by Shipwave", clip(job.ContinuationToken)))
		}
		var err error
		rel, err = w.Releases.GetRelease(ctx, id)
		switch {
		case errors.Is(err, release.ErrNotFound):
			return w.fail(ctx, log, o, cptypes.FailureTypeJobFailed, fmt.Sprintf("release %s of this job no longer exists", id))
		case err != nil:
			log.WarnContext(ctx, "read release failed; continuing", "releaseId", id, "error", err)
			o.ReleaseID = id
			return w.cont(ctx, log, o, id, "checking the release failed, retrying: "+err.Error())
		}
		log = log.With("releaseId", rel.ID, "pipeline", rel.Pipeline)
	}
	o.ReleaseID = rel.ID
	switch {
	case rel.Status == release.StatusSucceeded:
		return w.succeed(ctx, log, o, rel)
	case rel.Status.Terminal():
		msg := fmt.Sprintf("Shipwave release %s of %s (version %s) ended %s", rel.ID, rel.Pipeline, rel.Version, rel.Status)
		if rel.Reason != "" {
			msg += ": " + rel.Reason
		}
		switch rel.Status {
		case release.StatusRolledBack:
			msg += ". Traffic is back on the last good version; fix the cause and run the pipeline again."
		case release.StatusFailed:
			msg += ". It needs a person: check the targets and the release log (shipwave release show " + rel.ID + ")."
		case release.StatusSuperseded:
			msg += ". A newer release of the pipeline replaced it."
		}
		return w.fail(ctx, log, o, cptypes.FailureTypeJobFailed, msg)
	}
	if waited := w.now().Sub(rel.CreatedAt); waited > w.maxWait() {
		return w.fail(ctx, log, o, cptypes.FailureTypeJobFailed, fmt.Sprintf(
			"gave up waiting after %s: Shipwave release %s of %s is still %s; it carries on, follow it with shipwave release show %s",
			waited.Round(time.Minute), rel.ID, rel.Pipeline, rel.Status, rel.ID))
	}
	return w.cont(ctx, log, o, rel.ID, w.progress(ctx, rel))
}

// progress says where a running release is, for the CodePipeline console:
// its status and its latest event.
func (w *Worker) progress(ctx context.Context, rel release.Release) string {
	msg := fmt.Sprintf("Shipwave release %s of %s is %s", rel.ID, rel.Pipeline, rel.Status)
	evs, err := w.Releases.Events(ctx, rel.ID, 0, 0)
	if err != nil || len(evs) == 0 {
		return msg
	}
	last := evs[len(evs)-1]
	where := joinNonEmpty("/", last.Stage, last.Wave, last.Target)
	msg += ": " + string(last.Type)
	if where != "" {
		msg += " " + where
	}
	if last.Message != "" {
		msg += " — " + last.Message
	}
	return msg
}

func (w *Worker) succeed(ctx context.Context, log *slog.Logger, o Outcome, rel release.Release) (Outcome, error) {
	_, err := w.Client.PutJobSuccessResult(ctx, &cp.PutJobSuccessResultInput{
		JobId: aws.String(o.JobID),
		ExecutionDetails: &cptypes.ExecutionDetails{
			ExternalExecutionId: aws.String(rel.ID), PercentComplete: aws.Int32(100),
			Summary: aws.String(fmt.Sprintf("Shipwave release %s of %s (version %s) succeeded", rel.ID, rel.Pipeline, rel.Version)),
		},
		OutputVariables: map[string]string{"releaseId": rel.ID, "version": rel.Version, "outcome": string(rel.Status), "pipeline": rel.Pipeline},
	})
	o.Result = "succeeded"
	return w.put(ctx, log, o, "success", err)
}

func (w *Worker) cont(ctx context.Context, log *slog.Logger, o Outcome, releaseID, summary string) (Outcome, error) {
	in := &cp.PutJobSuccessResultInput{
		JobId:             aws.String(o.JobID),
		ContinuationToken: aws.String(tokenPrefix + releaseID),
		ExecutionDetails:  &cptypes.ExecutionDetails{Summary: aws.String(clipN(summary, 2048))},
	}
	if releaseID == "" {
		// Not started yet: the next call starts it again, idempotently.
		in.ContinuationToken = aws.String(startToken)
	} else {
		in.ExecutionDetails.ExternalExecutionId = aws.String(releaseID)
	}
	_, err := w.Client.PutJobSuccessResult(ctx, in)
	o.Result, o.Reason = "continued", summary
	return w.put(ctx, log, o, "continuation", err)
}

func (w *Worker) fail(ctx context.Context, log *slog.Logger, o Outcome, typ cptypes.FailureType, msg string) (Outcome, error) {
	fd := &cptypes.FailureDetails{Type: typ, Message: aws.String(clipN(msg, 5000))}
	if o.ReleaseID != "" {
		fd.ExternalExecutionId = aws.String(o.ReleaseID)
	}
	_, err := w.Client.PutJobFailureResult(ctx, &cp.PutJobFailureResultInput{JobId: aws.String(o.JobID), FailureDetails: fd})
	o.Result, o.Reason = "failed", msg
	return w.put(ctx, log, o, "failure", err)
}

// put finishes an outcome: a job CodePipeline already ended (timed out,
// or completed by an earlier delivery) is skipped, not an error.
func (w *Worker) put(ctx context.Context, log *slog.Logger, o Outcome, what string, err error) (Outcome, error) {
	if err == nil {
		log.InfoContext(ctx, "job result put", "result", o.Result, "reason", o.Reason)
		return o, nil
	}
	var state *cptypes.InvalidJobStateException
	var missing *cptypes.JobNotFoundException
	if errors.As(err, &state) || errors.As(err, &missing) {
		log.WarnContext(ctx, "job already ended in CodePipeline; nothing to report", "wanted", o.Result, "error", err)
		o.Result, o.Reason = "skipped", "job already ended in CodePipeline (timed out or completed): "+o.Reason
		return o, nil
	}
	log.ErrorContext(ctx, "put job result failed", "result", what, "error", err)
	return o, fmt.Errorf("job %s: put %s result: %w", o.JobID, what, err)
}

func (w *Worker) maxWait() time.Duration {
	if w.MaxWait > 0 {
		return w.MaxWait
	}
	return DefaultMaxWait
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func clip(s string) string { return clipN(s, 64) }

func clipN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
