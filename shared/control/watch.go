package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/release"
)

// AlarmResult says which bakes an alarm change failed.
type AlarmResult struct {
	Alarm  string   `json:"alarm"`
	State  string   `json:"state"`
	Failed []string `json:"failed"` // targets whose bakes were failed
}

// AlarmChanged fails every bake watching an alarm that went to ALARM; other
// states change nothing. Each token is claimed (deleted) before it is failed,
// so a redelivered event or a racing bake timeout acts at most once.
func (s *Service) AlarmChanged(ctx context.Context, c alarms.Change) (AlarmResult, error) {
	res := AlarmResult{Alarm: c.Alarm, State: string(c.State), Failed: []string{}}
	if c.Alarm == "" {
		return res, &InvalidInput{Message: "alarm change: alarm name is required"}
	}
	if c.State != alarms.StateAlarm {
		return res, nil
	}
	toks, err := s.Store.TokensByAlarm(ctx, c.Alarm)
	if err != nil {
		return res, Boundary(fmt.Errorf("bakes watching %s: %w", c.Alarm, err))
	}
	msg := fmt.Sprintf("alarm %s went to ALARM: %s", c.Alarm, c.Reason)
	baking := map[string]bool{}
	for _, tok := range toks {
		if tok.Kind != release.TokenBake {
			continue
		}
		baking[tok.ReleaseID+" "+tok.Target] = true
		if err := s.record(ctx, release.Event{ReleaseID: tok.ReleaseID, Type: release.EventAlarm, Stage: tok.Stage, Wave: tok.Wave, Target: tok.Target, Message: msg}); err != nil {
			return res, Boundary(err)
		}
		if err := s.fail(ctx, tok, "AlarmTriggered", msg); err != nil {
			return res, Boundary(err)
		}
		res.Failed = append(res.Failed, tok.Target)
	}
	// A target holding partial traffic between two bakes has only its
	// watch: the alarm is recorded, and its next task fails on it.
	for _, tok := range toks {
		if tok.Kind != release.TokenWatch || baking[tok.ReleaseID+" "+tok.Target] {
			continue
		}
		if err := s.record(ctx, release.Event{ReleaseID: tok.ReleaseID, Type: release.EventAlarm, Stage: tok.Stage, Wave: tok.Wave, Target: tok.Target,
			Message: msg + " (between bakes)"}); err != nil {
			return res, Boundary(err)
		}
		res.Failed = append(res.Failed, tok.Target)
	}
	return res, nil
}

// ExecutionChange is a Step Functions execution status change, as the
// EventBridge event reports it.
type ExecutionChange struct {
	ExecutionArn string `json:"executionArn"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	Input        string `json:"input"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

// ReconcileResult says what reconciling an ended execution did.
type ReconcileResult struct {
	ReleaseID string `json:"releaseId,omitempty"`
	Action    string `json:"action"` // ignored, restored, none
	Reason    string `json:"reason,omitempty"`
}

// Reconcile handles an execution that ended abnormally (ABORTED, TIMED_OUT,
// FAILED): if its release is still in progress — its own error path never
// ran — every target it left mid-shift goes back to its last good version
// and the release is marked FAILED with the reason.
//
// Transient failures (a throttled shifter, a lost race) are retried a few
// times with backoff before they are returned: nothing else retries a
// reconcile run at start-up.
func (s *Service) Reconcile(ctx context.Context, c ExecutionChange) (ReconcileResult, error) {
	var res ReconcileResult
	var err error
	for attempt := range reconcileAttempts {
		res, err = s.reconcile(ctx, c)
		var tr *TransientError
		if err == nil || !errors.As(Boundary(err), &tr) || attempt == reconcileAttempts-1 {
			break
		}
		t := time.NewTimer(min(time.Duration(50<<attempt)*time.Millisecond, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return res, Boundary(ctx.Err())
		case <-t.C:
		}
	}
	return res, Boundary(err)
}

// reconcileAttempts bounds Reconcile's own retries of transient failures
// (backoff doubling from 50 ms, at most 1 s: about 3.5 s in all), enough
// to outlast a short burst of throttles and 5xx on both the reads and the
// writes of a restore. What still fails is returned: the local stack then
// refuses to start (and is restarted), and on AWS Lambda retries the
// asynchronous invocation.
const reconcileAttempts = 8

func (s *Service) reconcile(ctx context.Context, c ExecutionChange) (ReconcileResult, error) {
	switch c.Status {
	case "ABORTED", "TIMED_OUT", "FAILED":
	case "RUNNING", "SUCCEEDED", "PENDING_REDRIVE":
		return ReconcileResult{Action: "ignored", Reason: "status " + c.Status}, nil
	default:
		return ReconcileResult{}, &InvalidInput{Message: fmt.Sprintf("reconcile: unknown execution status %q", c.Status)}
	}
	var in struct {
		ReleaseID string          `json:"releaseId"`
		Target    *release.Target `json:"target"`
	}
	if c.Input != "" {
		if err := json.Unmarshal([]byte(c.Input), &in); err != nil {
			return ReconcileResult{}, &InvalidInput{Message: fmt.Sprintf("reconcile %s: input is not JSON: %v", c.Name, err)}
		}
	}
	if in.ReleaseID == "" {
		return ReconcileResult{Action: "ignored", Reason: "not a Shipwave execution (no releaseId in its input)"}, nil
	}
	r, p, err := s.load(ctx, in.ReleaseID)
	if errors.Is(err, release.ErrNotFound) {
		return ReconcileResult{ReleaseID: in.ReleaseID, Action: "ignored", Reason: "unknown release"}, nil
	}
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("reconcile %s: %w", in.ReleaseID, err)
	}
	reason := fmt.Sprintf("execution %s %s", c.Name, c.Status)
	if c.Error != "" {
		reason += ": " + c.Error
		if c.Cause != "" {
			reason += " (" + c.Cause + ")"
		}
	}
	if r.Status.Terminal() {
		// The release ended on its own path; still finish anything it
		// left (an interrupted restore, a deploy child aborted late).
		res, err := s.closeOut(ctx, r, p, reason, "")
		if err != nil {
			return ReconcileResult{}, err
		}
		action := "none"
		if len(res.Restored) > 0 {
			action = "restored"
		}
		return ReconcileResult{ReleaseID: r.ID, Action: action, Reason: "release already " + string(r.Status) + attentionSuffix(res)}, nil
	}
	if in.Target != nil && in.Target.Name != "" {
		// A deploy execution of one target ended abnormally (its rollback
		// could not be verified, or it was stopped): restore that target.
		// The release execution goes on and judges the wave itself.
		led, err := s.ledger(ctx, r.ID)
		if err != nil {
			return ReconcileResult{}, err
		}
		touch, _ := led.Get(in.Target.Name)
		touch.Target = in.Target.Name
		if touch.Settled || touch.Promoted && !touch.Restoring {
			return ReconcileResult{ReleaseID: r.ID, Action: "none", Reason: reason + "; " + in.Target.Name + " was promoted"}, nil
		}
		t := targetOf(p, in.Target.Name)
		if t.Type == "" {
			t = *in.Target
		}
		if _, attention, err := s.restoreTarget(ctx, r.ID, t, touch, reason); err != nil {
			return ReconcileResult{}, err
		} else if attention != "" {
			return ReconcileResult{ReleaseID: r.ID, Action: "attention", Reason: attention}, nil
		}
		return ReconcileResult{ReleaseID: r.ID, Action: "restored", Reason: reason}, nil
	}
	out, err := s.end(ctx, r, p, endCause{name: "Crashed", reason: reason, prefix: "reconciled: "})
	if err != nil {
		return ReconcileResult{}, err
	}
	return ReconcileResult{ReleaseID: r.ID, Action: "restored", Reason: string(out.Status) + ": " + out.Reason}, nil
}

func attentionSuffix(res restoreResult) string {
	if err := res.err(); err != nil {
		return "; needs attention: " + err.Error()
	}
	return ""
}

// RollbackRequest is a person's request to roll a running release back.
type RollbackRequest struct {
	ReleaseID string
	Actor     string
	Reason    string
}

// RequestRollback rolls a running release back through its own failure
// path: it records the request (once, with the actor and reason) and
// fails every task the release is waiting on (bakes, approvals) with
// RollbackRequested; every other handler of the release sees the request
// and fails the same way, so the deploy's Rollback, the wave judgment and
// Finish restore what the release touched, honouring onFailure. It returns
// ErrNotFound for an unknown release and ErrConflict for one that has
// ended (restore its targets with Restore instead).
func (s *Service) RequestRollback(ctx context.Context, req RollbackRequest) (release.Release, error) {
	r, err := s.Store.GetRelease(ctx, req.ReleaseID)
	if err != nil {
		return release.Release{}, fmt.Errorf("roll back %s: %w", req.ReleaseID, err)
	}
	if r.Status.Terminal() {
		return r, release.Errorf(release.ErrConflict, "release %s already ended %s; to return its targets to an earlier version, restore them", r.ID, r.Status)
	}
	led, err := s.ledger(ctx, r.ID)
	if err != nil {
		return r, err
	}
	if led.RollbackRequested == nil {
		msg := fmt.Sprintf("rollback requested by %s", firstString(req.Actor, "an unnamed actor"))
		if req.Reason != "" {
			msg += ": " + req.Reason
		}
		ev := release.Event{ReleaseID: r.ID, Type: release.EventRollbackRequest, Message: msg}
		ev.Data = jsonData(map[string]any{"actor": req.Actor, "reason": req.Reason})
		if err := s.record(ctx, ev); err != nil {
			return r, err
		}
	}
	toks, err := s.Store.TokensByRelease(ctx, r.ID)
	if err != nil {
		return r, fmt.Errorf("tokens of release %s: %w", r.ID, err)
	}
	for _, tok := range toks {
		if err := s.fail(ctx, tok, "RollbackRequested", "rollback requested by "+firstString(req.Actor, "an unnamed actor")); err != nil {
			return r, err
		}
	}
	return r, nil
}

// EndOrphan ends a release whose execution is gone (it was stopped, or
// the control plane died with it) through the same end path as Finish:
// the restore scope of the wave it was in, then exactly one end event.
func (s *Service) EndOrphan(ctx context.Context, releaseID, reason string) (release.Release, error) {
	r, p, err := s.load(ctx, releaseID)
	if err != nil {
		return release.Release{}, err
	}
	if !r.Status.Terminal() {
		if _, err := s.end(ctx, r, p, endCause{name: "Crashed", reason: reason, prefix: "reconciled: "}); err != nil {
			return r, err
		}
	} else if _, err := s.closeOut(ctx, r, p, reason, ""); err != nil {
		return r, err
	}
	return s.Store.GetRelease(ctx, releaseID)
}

// ApprovalInput is the input of the approval Task (a waitForTaskToken Lambda).
type ApprovalInput struct {
	Token          string   `json:"token"`
	ReleaseID      string   `json:"releaseId"`
	Pipeline       string   `json:"pipeline"`
	Stage          string   `json:"stage"`
	Approvers      []string `json:"approvers"`
	TimeoutSeconds int64    `json:"timeoutSeconds"`
}

// RegisterApproval stores an approval gate's token until a listed approver
// decides (see Decide) or the Task times out.
func (s *Service) RegisterApproval(ctx context.Context, in ApprovalInput) (struct{}, error) {
	if in.Token == "" || in.ReleaseID == "" || in.Stage == "" {
		return struct{}{}, &InvalidInput{Message: "approval: token, releaseId and stage are required"}
	}
	now := s.now()
	tok := release.TaskToken{Token: in.Token, Kind: release.TokenApproval, ReleaseID: in.ReleaseID, Pipeline: in.Pipeline,
		Stage: in.Stage, Approvers: in.Approvers, CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.TimeoutSeconds) * time.Second)}
	if err := s.Store.PutTaskToken(ctx, tok); err != nil {
		return struct{}{}, Boundary(fmt.Errorf("store approval token for %s: %w", in.Stage, err))
	}
	return struct{}{}, Boundary(s.record(ctx, release.Event{ReleaseID: in.ReleaseID, Type: release.EventApprovalWaiting, Stage: in.Stage,
		Message: fmt.Sprintf("waiting up to %s for approval by %s", time.Duration(in.TimeoutSeconds)*time.Second, alarmList(in.Approvers))}))
}

// Decision is a person's answer to an approval gate.
type Decision struct {
	ReleaseID string
	Stage     string // optional: the gate's stage, when the caller knows it
	Actor     string
	Approve   bool
	Comment   string
}

// Decide approves or rejects a release's waiting approval gate. It returns
// ErrNotFound when nothing waits, and ErrUnauthorized (recorded in the log)
// when the actor is not a listed approver.
func (s *Service) Decide(ctx context.Context, d Decision) error {
	toks, err := s.Store.TokensByRelease(ctx, d.ReleaseID)
	if err != nil {
		return fmt.Errorf("approval for %s: %w", d.ReleaseID, err)
	}
	for _, tok := range toks {
		if tok.Kind != release.TokenApproval || (d.Stage != "" && tok.Stage != d.Stage) {
			continue
		}
		if !tok.ExpiresAt.IsZero() && !s.now().Before(tok.ExpiresAt) {
			continue
		}
		if len(tok.Approvers) > 0 && !contains(tok.Approvers, d.Actor) {
			msg := fmt.Sprintf("%s may not approve stage %s (approvers: %s)", clip(d.Actor, 80), tok.Stage, alarmList(tok.Approvers))
			if err := s.noteRefusal(ctx, d.ReleaseID, tok.Stage, clip(msg, 240)); err != nil {
				return err
			}
			return release.Errorf(release.ErrUnauthorized, "%s", msg)
		}
		if err := s.Store.DeleteTaskToken(ctx, tok.Token); errors.Is(err, release.ErrNotFound) {
			continue // someone decided first
		} else if err != nil {
			return fmt.Errorf("claim approval of %s: %w", tok.Stage, err)
		}
		if s.Callbacks == nil {
			return fmt.Errorf("approval of %s: no task callback client is wired", tok.Stage)
		}
		ev := release.Event{ReleaseID: d.ReleaseID, Stage: tok.Stage}
		if d.Approve {
			out, _ := json.Marshal(map[string]string{"approvedBy": d.Actor, "comment": d.Comment})
			if err := s.Callbacks.SendTaskSuccess(ctx, tok.Token, out); err != nil {
				return fmt.Errorf("approve stage %s: %w", tok.Stage, err)
			}
			ev.Type, ev.Message = release.EventApproved, "approved by "+d.Actor+commentSuffix(d.Comment)
		} else {
			if err := s.Callbacks.SendTaskFailure(ctx, tok.Token, "ApprovalRejected", "rejected by "+d.Actor+commentSuffix(d.Comment)); err != nil {
				return fmt.Errorf("reject stage %s: %w", tok.Stage, err)
			}
			ev.Type, ev.Message = release.EventRejected, "rejected by "+d.Actor+commentSuffix(d.Comment)
		}
		return s.record(ctx, ev)
	}
	return release.Errorf(release.ErrNotFound, "release %s has no approval waiting", d.ReleaseID)
}

func commentSuffix(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// PromoteRequest asks for a release's running bakes to end now.
type PromoteRequest struct {
	ReleaseID string
	Actor     string
	Reason    string
}

// Promote ends the bakes a release is waiting in now, as if their time had
// passed (kubectl argo rollouts promote), and lets a paused step go on:
// each bake's final alarm check still runs, so an alarm in ALARM still
// rolls back, and a hold for a shut deploy window holds again. It records
// who promoted what (Promoted). Errors:
// ErrNotFound for an unknown release, ErrConflict when it has ended or is
// not baking.
func (s *Service) Promote(ctx context.Context, req PromoteRequest) (release.Release, error) {
	r, err := s.Store.GetRelease(ctx, req.ReleaseID)
	if err != nil {
		return release.Release{}, fmt.Errorf("promote %s: %w", req.ReleaseID, err)
	}
	if r.Status.Terminal() {
		return r, release.Errorf(release.ErrConflict, "release %s already ended %s", r.ID, r.Status)
	}
	toks, err := s.Store.TokensByRelease(ctx, r.ID)
	if err != nil {
		return r, fmt.Errorf("tokens of release %s: %w", r.ID, err)
	}
	if s.Callbacks == nil {
		return r, fmt.Errorf("promote %s: no task callback client is wired", r.ID)
	}
	who := firstString(req.Actor, "an unnamed actor")
	n := 0
	for _, tok := range toks {
		if tok.Kind != release.TokenBake {
			continue
		}
		if err := s.Store.DeleteTaskToken(ctx, tok.Token); errors.Is(err, release.ErrNotFound) {
			continue // it ended first
		} else if err != nil {
			return r, fmt.Errorf("claim bake of %s: %w", tok.Target, err)
		}
		if err := s.Callbacks.SendTaskSuccess(ctx, tok.Token, []byte(`{}`)); err != nil {
			s.log().WarnContext(ctx, "promote: bake already ended", "releaseId", r.ID, "target", tok.Target, "error", err)
			continue
		}
		msg := "promoted by " + who + ": bake skipped"
		if req.Reason != "" {
			msg += ": " + req.Reason
		}
		if err := s.record(ctx, release.Event{ReleaseID: r.ID, Type: release.EventPromoted, Stage: tok.Stage, Wave: tok.Wave, Target: tok.Target, Message: msg}); err != nil {
			return r, err
		}
		n++
	}
	if n == 0 {
		return r, release.Errorf(release.ErrConflict, "release %s is not baking now; nothing to promote", r.ID)
	}
	return r, nil
}

// refusalEvery bounds refusal notes: at most one per stage of a release in
// this long, so a stream of refused requests keeps the log readable.
const refusalEvery = 10 * time.Minute

// noteRefusal records a refused decision, unless one was recorded for the
// stage within refusalEvery.
func (s *Service) noteRefusal(ctx context.Context, releaseID, stage, msg string) error {
	events, err := s.allEvents(ctx, releaseID)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Type == release.EventNote && ev.Stage == stage && strings.HasPrefix(ev.Message, "refused: ") && s.now().Sub(ev.Time) < refusalEvery {
			return nil
		}
	}
	return s.record(ctx, release.Event{ReleaseID: releaseID, Type: release.EventNote, Stage: stage, Message: "refused: " + msg})
}

// clip shortens outside text for the log.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
