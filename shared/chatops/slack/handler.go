package slack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/release"
)

// Ops is what the commands call (chatops.Ops).
type Ops interface {
	Deploy(ctx context.Context, actor chatops.Actor, pipeline, version, requestID string) (release.Release, error)
	Status(ctx context.Context, pipeline string) (chatops.Summary, error)
	History(ctx context.Context, pipeline string, n int) ([]release.Release, error)
	Decide(ctx context.Context, actor chatops.Actor, pipeline, releaseID string, approve bool, comment string) (release.Release, error)
	Rollback(ctx context.Context, actor chatops.Actor, pipeline, releaseID, reason string) (release.Release, error)
	Undo(ctx context.Context, actor chatops.Actor, pipeline, releaseID, reason string) (release.Release, error)
	Restore(ctx context.Context, actor chatops.Actor, pipeline, version, reason, requestID string) (release.Release, error)
}

// Claimer remembers signatures already used, so a captured request cannot
// be replayed inside the five-minute window.
type Claimer interface {
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error)
}

// DefaultBudget is how long a command may run before the answer becomes
// "working on it" and the result follows on response_url; Slack waits
// three seconds.
const DefaultBudget = 2500 * time.Millisecond

// DefaultResponseHosts are the hosts a response_url may point at.
var DefaultResponseHosts = []string{"hooks.slack.com"}

// maxBody bounds a slash command request.
const maxBody = 16 << 10

// Handler serves the /ship slash command. Secrets, SigningSecret (the
// secret's name), Replays and Ops are required. Client posts follow-ups
// (http.DefaultClient when nil) to response_url hosts in ResponseHosts
// (DefaultResponseHosts when nil) over https; ResponseHosts entries with a
// scheme ("http://127.0.0.1:8080") allow exactly that origin, for local
// mode. Budget defaults to DefaultBudget, Now to time.Now and Logger to
// discarding.
type Handler struct {
	Secrets       auth.Secrets
	SigningSecret string
	Replays       Claimer
	Ops           Ops
	Client        *http.Client
	ResponseHosts []string
	Budget        time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
	// Defer, when set, takes every command that changes something (all
	// but status, history and help) and every button press, verified, to
	// run after the answer, in another invocation (Handler.Run there). It
	// is for hosts where work cannot outlive its answer: AWS Lambda
	// freezes an invocation once it has returned, background goroutines
	// and all. Without it a slow command finishes in the background.
	Defer Deferrer
}

// Deferrer hands a verified command to a later run of Handler.Run.
type Deferrer interface {
	Defer(ctx context.Context, job Job) error
}

// DeferFunc is a Deferrer from a function.
type DeferFunc func(ctx context.Context, job Job) error

// Defer calls f.
func (f DeferFunc) Defer(ctx context.Context, job Job) error { return f(ctx, job) }

// RunJSON decodes a deferred Job and runs it (Run).
func (h *Handler) RunJSON(ctx context.Context, raw json.RawMessage) error {
	var job Job
	if err := json.Unmarshal(raw, &job); err != nil {
		return fmt.Errorf("slack job: %w", err)
	}
	return h.Run(ctx, job)
}

// Job is a verified command to run after the answer: who asked, what, the
// request's id (the idempotency key of what it starts) and where the
// result goes. Interaction marks a button press: the result replaces the
// message whose button was pressed.
type Job struct {
	Actor       chatops.Actor `json:"actor"`
	Command     Command       `json:"command"`
	RequestID   string        `json:"requestId"`
	ResponseURL string        `json:"responseUrl"`
	Interaction bool          `json:"interaction,omitempty"`
}

// Run runs a deferred job and posts its result to the job's response_url.
// The job was verified and authorized as far as its request could be
// before it was deferred; the command's own checks run here, as they would
// have inline.
func (h *Handler) Run(ctx context.Context, job Job) error {
	if err := h.checkResponseURL(job.ResponseURL); err != nil {
		return fmt.Errorf("slack job %s %s: %w", job.Command.Verb, job.Command.Pipeline, err)
	}
	log := h.logger().With("user", strings.Join(job.Actor.Names, ","), "command", job.Command.Verb, "pipeline", job.Command.Pipeline, "deferred", true)
	msg := h.run(ctx, log, job.Actor, job.Command, job.RequestID)
	if !job.Interaction || msg.ResponseType == "in_channel" {
		msg.ReplaceOriginal = true
	}
	if err := h.followUp(ctx, job.ResponseURL, msg); err != nil {
		return fmt.Errorf("slack job %s %s: follow-up: %w", job.Command.Verb, job.Command.Pipeline, err)
	}
	return nil
}

// deferrable reports whether a command changes something (and so may be
// slow): those go to Defer when it is set.
func deferrable(verb string) bool {
	switch verb {
	case "status", "history", "help":
		return false
	}
	return true
}

// ServeHTTP verifies the request, refuses replays, parses the command, runs
// it and answers with a Slack message (HTTP 200, as Slack needs for the
// message to show). Verification failures answer 401 and change nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := h.logger().With("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "slash commands are POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	// Every version of the signing secret counts (a rotation in progress),
	// with one rate-limited refetch after a failure.
	if err := auth.VerifyWithSecret(ctx, h.Secrets, h.SigningSecret, func(secret []byte) error {
		return auth.VerifySlack(secret, r.Header, body, h.now(), auth.SlackWindow)
	}); err != nil {
		var se *auth.SecretError
		if errors.As(err, &se) {
			log.ErrorContext(ctx, "slack signing secret unavailable", "error", err)
			http.Error(w, "signing secret unavailable", http.StatusInternalServerError)
			return
		}
		log.WarnContext(ctx, "slack request refused", "error", err)
		http.Error(w, "request verification failed", http.StatusUnauthorized)
		return
	}
	// A valid signature may be used once: the key is what was signed (the
	// timestamp and the decoded MAC), not how the header spelled it.
	if _, claimed, err := h.Replays.ClaimIdempotencyKey(ctx, "slack:"+auth.SlackReplayKey(r.Header), r.Header.Get(auth.HeaderSlackTimestamp), 2*auth.SlackWindow); err != nil {
		log.ErrorContext(ctx, "slack replay check failed", "error", err)
		http.Error(w, "could not check the request; try again", http.StatusInternalServerError)
		return
	} else if !claimed {
		log.WarnContext(ctx, "slack request refused: replayed")
		http.Error(w, "request was already received", http.StatusUnauthorized)
		return
	}

	// Verified and fresh: read the form.
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeMessage(w, Message{ResponseType: "ephemeral", Text: "Could not read the command: " + err.Error()})
		return
	}
	asOf := signedTime(r.Header)
	if payload := form.Get("payload"); payload != "" {
		h.interact(w, r, log, payload, asOf)
		return
	}
	actor := slackActor(form.Get("team_id"), form.Get("user_id"), asOf)
	log = log.With("user", form.Get("user_id"), "team", form.Get("team_id"), "command", form.Get("command"), "text", clip(form.Get("text")))
	cmd, err := ParseCommand(form.Get("text"))
	if err != nil {
		writeMessage(w, Message{ResponseType: "ephemeral", Text: ":warning: " + err.Error() + "\n" + Usage})
		return
	}
	if cmd.Verb == "help" {
		writeMessage(w, Message{ResponseType: "ephemeral", Text: Usage})
		return
	}
	responseURL := form.Get("response_url")
	requestID := form.Get("trigger_id")
	if requestID == "" {
		// No trigger id: key the deploy on the signed content, so a
		// replay of the same request can never release twice.
		sum := sha256.Sum256([]byte(r.Header.Get(auth.HeaderSlackTimestamp) + ":" + string(body)))
		requestID = "signed-" + hex.EncodeToString(sum[:16])
	}

	if h.Defer != nil && deferrable(cmd.Verb) && h.checkResponseURL(responseURL) == nil {
		job := Job{Actor: actor, Command: cmd, RequestID: requestID, ResponseURL: responseURL}
		if err := h.Defer.Defer(ctx, job); err != nil {
			log.ErrorContext(ctx, "slack command could not be deferred", "error", err)
			writeMessage(w, Message{ResponseType: "ephemeral", Text: fmt.Sprintf(":warning: Could not start `%s %s`; nothing was done. Try again.", cmd.Verb, cmd.Pipeline)})
			return
		}
		writeMessage(w, Message{ResponseType: "ephemeral", Text: fmt.Sprintf(":hourglass: Working on `%s %s`…", cmd.Verb, cmd.Pipeline)})
		return
	}
	// Run the command detached from the request, so it can finish after the
	// answer when it is slow.
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	done := make(chan Message, 1)
	go func() {
		done <- h.run(runCtx, log, actor, cmd, requestID)
	}()
	select {
	case msg := <-done:
		cancel()
		writeMessage(w, msg)
	case <-time.After(h.budget()):
		if err := h.checkResponseURL(responseURL); err != nil {
			log.WarnContext(ctx, "slow command without a usable response_url", "error", err)
			go func() { <-done; cancel() }()
			writeMessage(w, Message{ResponseType: "ephemeral", Text: fmt.Sprintf(":hourglass: Working on `%s %s`; I cannot follow up here (%v) — check `/ship status %s` shortly.", cmd.Verb, cmd.Pipeline, err, cmd.Pipeline)})
			return
		}
		writeMessage(w, Message{ResponseType: "ephemeral", Text: fmt.Sprintf(":hourglass: Working on `%s %s`…", cmd.Verb, cmd.Pipeline)})
		go func() {
			defer cancel()
			msg := <-done
			msg.ReplaceOriginal = true
			if err := h.followUp(runCtx, responseURL, msg); err != nil {
				log.ErrorContext(runCtx, "slack follow-up failed", "error", err)
			}
		}()
	}
}

// interact handles an approval button press. Slack shows nothing of the
// HTTP answer to an interaction, so the result always goes to
// response_url, replacing the message with the buttons.
func (h *Handler) interact(w http.ResponseWriter, r *http.Request, log *slog.Logger, payload string, asOf time.Time) {
	in, cmd, err := ParseInteraction(payload)
	if err != nil {
		log.WarnContext(r.Context(), "slack interaction refused", "error", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := h.checkResponseURL(in.ResponseURL); err != nil {
		log.WarnContext(r.Context(), "slack interaction refused", "error", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	actor := slackActor(in.User.TeamID, in.User.ID, asOf)
	log = log.With("user", in.User.ID, "action", cmd.Verb, "releaseId", cmd.ReleaseID)
	if h.Defer != nil {
		if err := h.Defer.Defer(r.Context(), Job{Actor: actor, Command: cmd, RequestID: in.TriggerID, ResponseURL: in.ResponseURL, Interaction: true}); err != nil {
			log.ErrorContext(r.Context(), "slack interaction could not be deferred", "error", err)
			http.Error(w, "could not start the action; nothing was done", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		msg := h.run(runCtx, log, actor, cmd, in.TriggerID)
		if msg.ResponseType == "in_channel" {
			msg.ReplaceOriginal = true
		}
		if err := h.followUp(runCtx, in.ResponseURL, msg); err != nil {
			log.ErrorContext(runCtx, "slack follow-up failed", "error", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(h.budget()):
	}
	w.WriteHeader(http.StatusOK)
}

// slackActor is a Slack user by the ids Slack never lets anyone change: the
// user id, and with the workspace the team-qualified TEAM:USER (and the
// older TEAM/USER). The user name is not an identity: anyone can take one.
func slackActor(team, user string, asOf time.Time) chatops.Actor {
	a := chatops.Actor{Source: "slack", AsOf: asOf}
	if user == "" {
		return a
	}
	a.Names = []string{user}
	if team != "" {
		a.Names = append(a.Names, team+":"+user, team+"/"+user)
	}
	return a
}

// signedTime is the verified request's timestamp.
func signedTime(h http.Header) time.Time {
	sec, err := strconv.ParseInt(h.Get(auth.HeaderSlackTimestamp), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// run carries out a command and renders its answer; errors become
// messages a person can act on.
func (h *Handler) run(ctx context.Context, log *slog.Logger, actor chatops.Actor, c Command, requestID string) Message {
	var (
		rel release.Release
		err error
		msg Message
	)
	switch c.Verb {
	case "deploy":
		rel, err = h.Ops.Deploy(ctx, actor, c.Pipeline, c.Version, requestID)
		if err == nil {
			msg = Message{ResponseType: "in_channel", Text: fmt.Sprintf("%s started release %s of %s version %s", actor, rel.ID, c.Pipeline, c.Version),
				Blocks: ReleaseBlocks(rel, nil, "")}
		}
	case "status":
		var s chatops.Summary
		s, err = h.Ops.Status(ctx, c.Pipeline)
		msg = StatusMessage(s)
	case "history":
		var rels []release.Release
		rels, err = h.Ops.History(ctx, c.Pipeline, c.Limit)
		msg = HistoryMessage(c.Pipeline, rels)
	case "approve", "reject":
		rel, err = h.Ops.Decide(ctx, actor, c.Pipeline, c.ReleaseID, c.Verb == "approve", c.Comment)
		if err == nil {
			msg = Message{ResponseType: "in_channel"}
			msg.Text = fmt.Sprintf(":ballot_box_with_check: %s %s release `%s` of *%s*", escape(actor.String()), pastTense(c.Verb), rel.ID, escape(c.Pipeline))
			if c.Comment != "" {
				msg.Text += ": " + escape(c.Comment)
			}
		}
	case "rollback":
		rel, err = h.Ops.Rollback(ctx, actor, c.Pipeline, c.ReleaseID, c.Comment)
		if err == nil {
			msg = Message{ResponseType: "in_channel", Text: fmt.Sprintf(":rewind: %s asked release `%s` of *%s* to roll back; traffic returns to the last good version.", escape(actor.String()), rel.ID, escape(c.Pipeline))}
		}
	case "undo":
		rel, err = h.Ops.Undo(ctx, actor, c.Pipeline, c.ReleaseID, c.Comment)
		if err == nil {
			msg = Message{ResponseType: "in_channel", Text: fmt.Sprintf(":rewind: %s undid release `%s` of *%s*: release `%s` is %s.", escape(actor.String()), c.ReleaseID, escape(c.Pipeline), rel.ID, rel.Status)}
		}
	case "restore":
		rel, err = h.Ops.Restore(ctx, actor, c.Pipeline, c.Version, c.Comment, requestID)
		if err == nil {
			msg = Message{ResponseType: "in_channel", Text: fmt.Sprintf(":ambulance: %s restored *%s* to its known-good versions: release `%s` is %s %s", escape(actor.String()), escape(c.Pipeline), rel.ID, rel.Status, escape(rel.Reason))}
		}
	}
	if err != nil {
		log.WarnContext(ctx, "slack command failed", "error", err)
		return errorMessage(err)
	}
	log.InfoContext(ctx, "slack command done", "releaseId", rel.ID)
	return msg
}

func pastTense(verb string) string {
	if verb == "approve" {
		return "approved"
	}
	return "rejected"
}

func errorMessage(err error) Message {
	text := ":x: " + escape(err.Error())
	switch {
	case errors.Is(err, release.ErrUnauthorized):
		text = ":no_entry: " + escape(err.Error())
	case errors.Is(err, release.ErrNotFound):
		text = ":shrug: " + escape(err.Error())
	case errors.Is(err, release.ErrInvalid):
		text = ":warning: " + escape(err.Error()) + "\n" + Usage
	case errors.Is(err, release.ErrConflict):
		text = ":warning: " + escape(err.Error())
	}
	return Message{ResponseType: "ephemeral", Text: text}
}

// checkResponseURL allows only https URLs on the allowed hosts, or an
// allowed origin given with its scheme.
func (h *Handler) checkResponseURL(raw string) error {
	if raw == "" {
		return errors.New("no response_url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("response_url: %w", err)
	}
	hosts := h.ResponseHosts
	if hosts == nil {
		hosts = DefaultResponseHosts
	}
	if slices.Contains(hosts, u.Scheme+"://"+u.Host) {
		return nil
	}
	if u.Scheme == "https" && u.Port() == "" && slices.Contains(hosts, u.Hostname()) {
		return nil
	}
	return fmt.Errorf("response_url host %q is not allowed", u.Host)
}

// followUp posts msg to response_url.
func (h *Handler) followUp(ctx context.Context, responseURL string, msg Message) error {
	if err := h.checkResponseURL(responseURL); err != nil {
		return err
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("response_url answered %s", resp.Status)
	}
	return nil
}

func writeMessage(w http.ResponseWriter, m Message) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(m)
}

func (h *Handler) budget() time.Duration {
	if h.Budget > 0 {
		return h.Budget
	}
	return DefaultBudget
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
