package alexa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/chatops"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Verifier checks a request as Alexa requires (auth.AlexaVerifier).
type Verifier interface {
	Verify(ctx context.Context, h http.Header, body []byte) (auth.AlexaRequest, error)
}

// Claimer remembers request ids, so a captured request is used once.
type Claimer interface {
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error)
}

// Ops is what the intents call (chatops.Ops).
type Ops interface {
	Deploy(ctx context.Context, actor chatops.Actor, pipeline, version, requestID string) (release.Release, error)
	Status(ctx context.Context, pipeline string) (chatops.Summary, error)
	Decide(ctx context.Context, actor chatops.Actor, pipeline, releaseID string, approve bool, comment string) (release.Release, error)
	Rollback(ctx context.Context, actor chatops.Actor, pipeline, releaseID, reason string) (release.Release, error)
}

// Intent names the skill handles (see events/alexa-interaction-model.json).
const (
	IntentDeploy   = "DeployIntent"
	IntentStatus   = "StatusIntent"
	IntentApprove  = "ApproveIntent"
	IntentRollback = "RollbackIntent"
)

// Intents lists every intent the handler answers, built-in ones included.
var Intents = []string{IntentDeploy, IntentStatus, IntentApprove, IntentRollback,
	"AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent"}

// maxBody bounds a request body.
const maxBody = 128 << 10

// Handler serves the skill. Verifier, Replays and Ops are required; Logger
// defaults to discarding.
type Handler struct {
	Verifier Verifier
	Replays  Claimer
	Ops      Ops
	Logger   *slog.Logger
}

// ServeHTTP verifies and answers one request. A request that fails
// verification or reuses a request id gets HTTP 400, as Alexa requires,
// and changes nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := h.logger().With("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Alexa requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	vr, err := h.Verifier.Verify(ctx, r.Header, body)
	if err != nil {
		log.WarnContext(ctx, "alexa request refused", "error", err)
		http.Error(w, "request verification failed", http.StatusBadRequest)
		return
	}
	log = log.With("requestId", vr.RequestID, "type", vr.Type)
	if _, claimed, err := h.Replays.ClaimIdempotencyKey(ctx, "alexa:"+vr.RequestID, vr.Timestamp.UTC().Format(time.RFC3339), 2*auth.AlexaTolerance); err != nil {
		log.ErrorContext(ctx, "alexa replay check failed", "error", err)
		http.Error(w, "could not check the request", http.StatusInternalServerError)
		return
	} else if !claimed {
		log.WarnContext(ctx, "alexa request refused: request id already used")
		http.Error(w, "request already received", http.StatusBadRequest)
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		log.WarnContext(ctx, "alexa request malformed", "error", err)
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	res := h.answer(ctx, log, req, vr.Timestamp)
	log.InfoContext(ctx, "alexa answered", "intent", intentName(req), "speech", res.String())
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(res)
}

func intentName(r Request) string {
	if r.Request.Intent != nil {
		return r.Request.Intent.Name
	}
	return ""
}

const help = "You can say: deploy version 1.2 of orders, what is the status of orders, approve orders, or roll back orders."

// answer carries out a verified request made at asOf (its signed
// timestamp): approve and roll back act only on a release created before.
func (h *Handler) answer(ctx context.Context, log *slog.Logger, req Request, asOf time.Time) Response {
	switch req.Request.Type {
	case "LaunchRequest":
		end := false
		res := say("Shipwave here. "+help, "Shipwave", false)
		res.Response.ShouldEndSession = &end
		res.Response.Reprompt = &Reprompt{OutputSpeech: *speech("What would you like to do?")}
		return res
	case "SessionEndedRequest":
		return Response{Version: "1.0"}
	case "IntentRequest":
	default:
		return say("Sorry, I can't handle that request.", "Shipwave", true)
	}
	in := req.Request.Intent
	actor := chatops.Actor{Source: "alexa", AsOf: asOf}
	if p := req.Context.System.Person; p != nil && p.PersonID != "" {
		actor.Names = append(actor.Names, p.PersonID)
	}
	for _, id := range []string{req.Context.System.User.UserID, req.Session.User.UserID} {
		if id != "" {
			actor.Names = append(actor.Names, id)
		}
	}
	pipeline := spoken(in.slot("pipeline"))
	switch in.Name {
	case "AMAZON.HelpIntent", "AMAZON.FallbackIntent":
		res := say(help, "Shipwave help", false)
		res.Response.Reprompt = &Reprompt{OutputSpeech: *speech("What would you like to do?")}
		return res
	case "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent":
		return say("Okay.", "Shipwave", true)
	case IntentStatus:
		if pipeline == "" {
			return elicit(in, "pipeline", "Which pipeline?")
		}
		s, err := h.Ops.Status(ctx, pipeline)
		if err != nil {
			return h.failure(ctx, log, "status", pipeline, err)
		}
		return say(describeStatus(s), "Status of "+pipeline, true)
	case IntentDeploy, IntentApprove, IntentRollback:
	default:
		return say("Sorry, I don't know that one. "+help, "Shipwave", true)
	}
	if pipeline == "" {
		return elicit(in, "pipeline", "Which pipeline?")
	}
	version := in.slot("version")
	if in.Name == IntentDeploy && version == "" {
		return elicit(in, "version", "Which version of "+pipeline+"?")
	}
	action := map[string]string{
		IntentDeploy:   fmt.Sprintf("deploy version %s of %s", version, pipeline),
		IntentApprove:  "approve the release of " + pipeline + " that waits for approval",
		IntentRollback: "roll back the current release of " + pipeline,
	}[in.Name]
	switch in.ConfirmationStatus {
	case "DENIED":
		return say("Okay, I won't "+action+".", "Cancelled", true)
	case "CONFIRMED":
	default:
		// Destructive: ask first, and act only on the confirmed request.
		end := false
		return Response{Version: "1.0", Response: ResponseBody{
			OutputSpeech:     speech("You want me to " + action + ". Shall I?"),
			Directives:       []Directive{{Type: "Dialog.ConfirmIntent", UpdatedIntent: in}},
			ShouldEndSession: &end,
		}}
	}
	var (
		rel release.Release
		err error
		msg string
	)
	switch in.Name {
	case IntentDeploy:
		rel, err = h.Ops.Deploy(ctx, actor, pipeline, version, req.Request.RequestID)
		msg = fmt.Sprintf("Started release %s of %s, version %s.", rel.ID, pipeline, version)
	case IntentApprove:
		rel, err = h.Ops.Decide(ctx, actor, pipeline, "", true, "")
		msg = fmt.Sprintf("Approved release %s of %s.", rel.ID, pipeline)
	case IntentRollback:
		rel, err = h.Ops.Rollback(ctx, actor, pipeline, "", "asked by voice")
		msg = fmt.Sprintf("Rolling back release %s of %s. Traffic returns to the last good version.", rel.ID, pipeline)
	}
	if err != nil {
		return h.failure(ctx, log, in.Name, pipeline, err)
	}
	return say(msg, "Shipwave: "+pipeline, true)
}

// failure turns an error into speech; refusals say so plainly.
func (h *Handler) failure(ctx context.Context, log *slog.Logger, what, pipeline string, err error) Response {
	log.WarnContext(ctx, "alexa intent failed", "intent", what, "pipeline", pipeline, "error", err)
	switch {
	case errors.Is(err, triggers.ErrNotListed):
		return say("Sorry, "+pipeline+" can't be started by voice: its spec does not list a voice trigger.", "Not a voice pipeline", true)
	case errors.Is(err, release.ErrUnauthorized):
		return say("Sorry, you are not allowed to do that on "+pipeline+". Ask someone on its chat allow-list.", "Not allowed", true)
	case errors.Is(err, release.ErrNotFound):
		return say("I couldn't find that: "+plain(err)+".", "Not found", true)
	case errors.Is(err, release.ErrConflict), errors.Is(err, release.ErrInvalid):
		return say("I can't do that right now: "+plain(err)+".", "Not now", true)
	}
	return say("Something went wrong talking to Shipwave. Try again in a minute.", "Error", true)
}

func elicit(in *Intent, slot, prompt string) Response {
	end := false
	return Response{Version: "1.0", Response: ResponseBody{
		OutputSpeech:     speech(prompt),
		Reprompt:         &Reprompt{OutputSpeech: *speech(prompt)},
		Directives:       []Directive{{Type: "Dialog.ElicitSlot", SlotToElicit: slot, UpdatedIntent: in}},
		ShouldEndSession: &end,
	}}
}

func describeStatus(s chatops.Summary) string {
	if s.Latest == nil {
		return s.Pipeline + " has no releases yet."
	}
	r := s.Latest
	text := fmt.Sprintf("The latest release of %s, version %s, is %s.", s.Pipeline, r.Version, strings.ToLower(strings.ReplaceAll(string(r.Status), "_", " ")))
	if s.Waiting != "" {
		text += " It is waiting for " + s.Waiting + "."
	}
	if r.Reason != "" {
		text += " " + r.Reason + "."
	}
	return text
}

// spoken turns a spoken pipeline name ("orders api") into a pipeline name
// ("orders-api").
func spoken(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// plain is an error message fit to be spoken.
func plain(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		s = s[i+2:]
	}
	return strings.TrimSuffix(s, ".")
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
