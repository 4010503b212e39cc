package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/triggers"
)

// Claimer records delivery ids so a redelivered webhook does nothing.
type Claimer interface {
	// ClaimIdempotencyKey records key for ttl unless it is recorded and
	// unexpired; claimed is false for a key seen before. Errors:
	// release.ErrInvalid for a bad key.
	ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (existing string, claimed bool, err error)
}

// Publisher hands a verified push to the push trigger.
type Publisher interface {
	// Publish delivers p; an error means it was not delivered.
	Publish(ctx context.Context, p triggers.GitPush) error
}

// Defaults.
const (
	// DefaultMaxBody is the largest payload read; GitHub caps theirs at 25 MB.
	DefaultMaxBody = 25 << 20
	// DefaultDedupTTL is how long a delivery id is remembered; GitHub lets
	// a delivery be redelivered for three days.
	DefaultDedupTTL = 72 * time.Hour
	// DefaultFirstSeenTTL is how long the first delivery of a push (its
	// repository, ref, before and after) is remembered, so that the same
	// signed push delivered again under a new delivery id releases no
	// pipeline created since.
	DefaultFirstSeenTTL = 400 * 24 * time.Hour
)

// Handler receives GitHub and GitLab webhooks. Secrets, the secret names,
// Deliveries and Publisher are required; Logger defaults to discarding.
type Handler struct {
	Secrets auth.Secrets
	// GitHubSecret and GitLabSecret name the secrets (in Secrets) holding
	// the GitHub webhook secret and the GitLab secret token. An empty name
	// disables that provider.
	GitHubSecret string
	GitLabSecret string
	Deliveries   Claimer
	Publisher    Publisher
	MaxBody      int64
	DedupTTL     time.Duration
	// FirstSeenTTL defaults to DefaultFirstSeenTTL; Now to time.Now.
	FirstSeenTTL time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Response is the JSON body every answer carries.
type Response struct {
	// Status is published, duplicate, ignored, pong or rejected.
	Status     string `json:"status"`
	Provider   string `json:"provider,omitempty"`
	DeliveryID string `json:"deliveryId,omitempty"`
	Repository string `json:"repository,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// ServeHTTP verifies, deduplicates, parses and publishes one webhook. It
// answers 202 when it published a push; 200 for a ping, an event it does
// not handle or a delivery it has published before (a redelivery of one
// whose publish failed is published); 401 for a missing or bad signature
// or token; 400 for an unknown sender or malformed payload; 413 for an
// oversized body; 405 for a method other than POST; 500 when a secret,
// the delivery store or the publisher fails. Nothing but the provider
// headers is read before the signature is verified, and a rejected request
// changes no stored state.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := h.logger()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, Response{Status: "rejected", Reason: "webhooks are POSTed"})
		return
	}
	var provider, secretName string
	switch {
	case r.Header.Get(auth.HeaderGitHubEvent) != "":
		provider, secretName = triggers.ProviderGitHub, h.GitHubSecret
	case r.Header.Get(auth.HeaderGitLabEvent) != "":
		provider, secretName = triggers.ProviderGitLab, h.GitLabSecret
	default:
		reply(w, http.StatusBadRequest, Response{Status: "rejected", Reason: "not a GitHub or GitLab webhook (no X-GitHub-Event or X-Gitlab-Event header)"})
		return
	}
	log = log.With("provider", provider, "remote", r.RemoteAddr)
	if secretName == "" {
		log.WarnContext(ctx, "webhook refused: provider not configured")
		reply(w, http.StatusUnauthorized, Response{Status: "rejected", Provider: provider, Reason: provider + " webhooks are not configured"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody()))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(w, http.StatusRequestEntityTooLarge, Response{Status: "rejected", Provider: provider, Reason: fmt.Sprintf("body larger than %d bytes", tooBig.Limit)})
			return
		}
		reply(w, http.StatusBadRequest, Response{Status: "rejected", Provider: provider, Reason: "reading body: " + err.Error()})
		return
	}
	// Every version of the secret counts (a rotation in progress), with one
	// rate-limited refetch after a failure.
	err = auth.VerifyWithSecret(ctx, h.Secrets, secretName, func(secret []byte) error {
		if provider == triggers.ProviderGitHub {
			return auth.VerifyGitHub(secret, body, r.Header.Get(auth.HeaderGitHubSignature))
		}
		return auth.VerifyGitLab(secret, r.Header.Get(auth.HeaderGitLabToken))
	})
	var secretErr *auth.SecretError
	if errors.As(err, &secretErr) {
		log.ErrorContext(ctx, "webhook secret unavailable", "secret", secretName, "error", err)
		reply(w, http.StatusInternalServerError, Response{Status: "rejected", Provider: provider, Reason: "webhook secret unavailable"})
		return
	}
	if err != nil {
		log.WarnContext(ctx, "webhook refused: verification failed", "error", err)
		reply(w, http.StatusUnauthorized, Response{Status: "rejected", Provider: provider, Reason: err.Error()})
		return
	}

	// Verified: now the request may be read for meaning.
	res := Response{Provider: provider}
	var (
		push      triggers.GitPush
		event     string
		truncated bool
	)
	if provider == triggers.ProviderGitHub {
		res.DeliveryID, event = r.Header.Get(auth.HeaderGitHubDelivery), r.Header.Get(auth.HeaderGitHubEvent)
	} else {
		res.DeliveryID, event = r.Header.Get(auth.HeaderGitLabEventUUID), r.Header.Get(auth.HeaderGitLabEvent)
		if res.DeliveryID == "" {
			res.DeliveryID = r.Header.Get("Idempotency-Key")
		}
	}
	log = log.With("deliveryId", res.DeliveryID, "event", event)
	switch {
	case provider == triggers.ProviderGitHub && event == "ping":
		res.Status, res.Reason = "pong", "webhook is reachable and its secret matches"
		reply(w, http.StatusOK, res)
		return
	case res.DeliveryID == "":
		res.Status, res.Reason = "rejected", "delivery id header missing"
		reply(w, http.StatusBadRequest, res)
		return
	case len(res.DeliveryID) > 128:
		res.Status, res.Reason, res.DeliveryID = "rejected", "delivery id longer than 128 bytes", ""
		reply(w, http.StatusBadRequest, res)
		return
	case provider == triggers.ProviderGitHub && event == "push":
		push, err = ParseGitHubPush(res.DeliveryID, body)
	case provider == triggers.ProviderGitLab && (event == "Push Hook" || event == "Tag Push Hook"):
		push, truncated, err = ParseGitLabPush(res.DeliveryID, body)
	default:
		res.Status, res.Reason = "ignored", fmt.Sprintf("%s event %q does not release", provider, clip(event))
		log.InfoContext(ctx, "webhook ignored", "reason", res.Reason)
		reply(w, http.StatusOK, res)
		return
	}
	if err != nil {
		res.Status, res.Reason = "rejected", err.Error()
		log.WarnContext(ctx, "webhook rejected: malformed payload", "error", err)
		reply(w, http.StatusBadRequest, res)
		return
	}
	res.Repository, res.Ref, res.Commit = push.Repository, push.Ref, push.After
	log = log.With("repository", push.Repository, "ref", push.Ref, "commit", push.After)
	if truncated {
		log.WarnContext(ctx, "push payload lists only some commits; path filters see only their files")
	}

	// Two keys: "received" is claimed by the first delivery; "published"
	// once a delivery got the push out. A redelivery finds "received"
	// taken and publishes only if it can still claim "published" — the
	// first attempt failed (or is still running, and the push trigger's
	// own key makes the second publish harmless).
	key := "webhook:" + provider + ":" + res.DeliveryID
	received, err := h.claim(ctx, key, push)
	if err == nil && !received {
		var unpublished bool
		unpublished, err = h.claim(ctx, key+":published", push)
		if err == nil && !unpublished {
			res.Status, res.Reason = "duplicate", "delivery "+res.DeliveryID+" was received and published before"
			log.InfoContext(ctx, "webhook duplicate delivery")
			reply(w, http.StatusOK, res)
			return
		}
		log.WarnContext(ctx, "webhook redelivery of a push not published before; publishing")
	}
	if err != nil {
		log.ErrorContext(ctx, "webhook delivery not recorded", "error", err)
		res.Status, res.Reason = "rejected", "could not record the delivery; retry it"
		reply(w, http.StatusInternalServerError, res)
		return
	}
	if err := h.firstSeen(ctx, provider, &push); err != nil {
		log.ErrorContext(ctx, "webhook push not recorded", "error", err)
		res.Status, res.Reason = "rejected", "could not record the push; retry it"
		reply(w, http.StatusInternalServerError, res)
		return
	}
	if !push.FirstDelivered.IsZero() {
		log.InfoContext(ctx, "webhook push seen before", "firstDelivered", push.FirstDelivered)
	}
	if err := h.Publisher.Publish(ctx, push); err != nil {
		log.ErrorContext(ctx, "webhook push not published", "error", err)
		res.Status, res.Reason = "rejected", "the push was verified but could not be handed on; redeliver it"
		reply(w, http.StatusInternalServerError, res)
		return
	}
	if received {
		if _, err := h.claim(ctx, key+":published", push); err != nil {
			log.WarnContext(ctx, "webhook publish not recorded; a redelivery would publish again", "error", err)
		}
	}
	res.Status = "published"
	log.InfoContext(ctx, "webhook push published")
	reply(w, http.StatusAccepted, res)
}

// firstSeen records the first delivery of the push itself (whatever its
// delivery id): the first time, nothing changes; on a later delivery the
// push carries FirstDelivered, so the trigger releases no pipeline created
// after it.
func (h *Handler) firstSeen(ctx context.Context, provider string, push *triggers.GitPush) error {
	sum := sha256.Sum256([]byte(strings.Join([]string{provider, push.Repository, push.Ref, strings.ToLower(push.Before), strings.ToLower(push.After)}, "\x00")))
	now := h.now().UTC()
	ttl := h.FirstSeenTTL
	if ttl <= 0 {
		ttl = DefaultFirstSeenTTL
	}
	existing, claimed, err := h.Deliveries.ClaimIdempotencyKey(ctx, "webhook:push:"+hex.EncodeToString(sum[:16]), now.Format(time.RFC3339Nano), ttl)
	if err != nil || claimed {
		return err
	}
	first, perr := time.Parse(time.RFC3339Nano, existing)
	if perr != nil {
		// An unreadable record: the safest reading is "seen just now"
		// minus nothing, i.e. only pipelines older than now.
		first = now
	}
	push.FirstDelivered = first
	return nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) claim(ctx context.Context, key string, push triggers.GitPush) (bool, error) {
	_, claimed, err := h.Deliveries.ClaimIdempotencyKey(ctx, key, push.Ref+"@"+push.After, h.dedupTTL())
	return claimed, err
}

func reply(w http.ResponseWriter, status int, res Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(res)
}

func (h *Handler) maxBody() int64 {
	if h.MaxBody > 0 {
		return h.MaxBody
	}
	return DefaultMaxBody
}

func (h *Handler) dedupTTL() time.Duration {
	if h.DedupTTL > 0 {
		return h.DedupTTL
	}
	return DefaultDedupTTL
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
