package local

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/shipwave/shipwave/shared/alexa"
	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/chatops"
	slackops "github.com/shipwave/shipwave/shared/chatops/slack"
	"github.com/shipwave/shipwave/shared/triggers"
	"github.com/shipwave/shipwave/shared/webhook"
)

// Secrets configures the outside endpoints of the local stack, as the
// secrets and settings of the AWS functions do (`local up --secrets
// FILE`). Each is optional; an endpoint whose secret is absent answers 503
// saying so.
type Secrets struct {
	// GitHubSecret is the GitHub webhook secret (POST /webhook).
	GitHubSecret string `json:"githubSecret,omitempty"`
	// GitLabToken is the GitLab webhook secret token (POST /webhook).
	GitLabToken string `json:"gitlabToken,omitempty"`
	// SlackSigningSecret is the Slack app's signing secret (POST /slack).
	SlackSigningSecret string `json:"slackSigningSecret,omitempty"`
	// AlexaSkillID is the skill's application id (POST /alexa).
	AlexaSkillID string `json:"alexaSkillId,omitempty"`
	// AlexaTrustRoots is the path of a PEM file of the roots Alexa's
	// signing chain must lead to; empty means the system roots.
	AlexaTrustRoots string `json:"alexaTrustRoots,omitempty"`
}

// LoadSecrets reads a secrets file: a JSON object with the keys of
// Secrets. An unknown key or a trust-roots file without a certificate is
// an error naming the file.
func LoadSecrets(file string) (Secrets, error) {
	var s Secrets
	data, err := os.ReadFile(file)
	if err != nil {
		return s, fmt.Errorf("secrets file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("secrets file %s: %w (want a JSON object with githubSecret, gitlabToken, slackSigningSecret, alexaSkillId, alexaTrustRoots)", file, err)
	}
	if s.AlexaTrustRoots != "" {
		if _, err := loadRoots(s.AlexaTrustRoots); err != nil {
			return s, fmt.Errorf("secrets file %s: alexaTrustRoots: %w", file, err)
		}
	}
	return s, nil
}

func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// Names of the outside endpoints' secrets in their auth.Static.
const (
	secretGitHub = "github"
	secretGitLab = "gitlab"
	secretSlack  = "slack"
)

// mountOutside serves POST /webhook, /slack and /alexa with the same
// handlers as the AWS functions (webhook.Handler, slack.Handler,
// alexa.Handler), over the stack's store, launcher and engine. Each
// endpoint verifies its sender itself; one without its secret answers 503.
func (s *Stack) mountOutside(mux *http.ServeMux) {
	sec := s.cfg.Secrets
	static := auth.Static{}
	wh := &webhook.Handler{Secrets: static, Deliveries: s.store, Logger: s.log,
		Publisher: webhook.Direct{Trigger: s.trigger, Now: s.svc.Now}}
	if sec.GitHubSecret != "" {
		static[secretGitHub], wh.GitHubSecret = sec.GitHubSecret, secretGitHub
	}
	if sec.GitLabToken != "" {
		static[secretGitLab], wh.GitLabSecret = sec.GitLabToken, secretGitLab
	}
	ops := &chatops.Ops{
		Store:     s.store,
		Launcher:  &triggers.Launcher{Specs: s.store, Releases: s.store, Starter: starter{s}, Now: s.svc.Now, Logger: s.log},
		Decider:   s.svc,
		Callbacks: s.engine,
		Refusals:  s.store,
		Now:       s.svc.Now,
		Logger:    s.log,
	}
	mux.Handle("POST /webhook", enabled(wh, sec.GitHubSecret != "" || sec.GitLabToken != "", "webhooks are not configured: start local up with --secrets FILE holding githubSecret and/or gitlabToken"))

	var sl http.Handler = disabled("Slack is not configured: start local up with --secrets FILE holding slackSigningSecret")
	if sec.SlackSigningSecret != "" {
		static[secretSlack] = sec.SlackSigningSecret
		sl = &slackops.Handler{Secrets: static, SigningSecret: secretSlack, Replays: s.store, Ops: ops,
			ResponseHosts: s.cfg.SlackResponseHosts, Logger: s.log}
	}
	mux.Handle("POST /slack", sl)

	var ax http.Handler = disabled("Alexa is not configured: start local up with --secrets FILE holding alexaSkillId (and alexaTrustRoots for a test CA)")
	if sec.AlexaSkillID != "" {
		// Signed timestamps are wall-clock times: the verifiers use the real
		// clock even when the engine's is scaled or virtual.
		v := &auth.AlexaVerifier{ApplicationIDs: []string{sec.AlexaSkillID}, Fetcher: s.cfg.AlexaFetcher}
		if sec.AlexaTrustRoots != "" {
			roots, err := loadRoots(sec.AlexaTrustRoots)
			if err != nil {
				ax = disabled("Alexa is not configured: alexaTrustRoots: " + err.Error())
				mux.Handle("POST /alexa", ax)
				return
			}
			v.Roots = roots
			if v.Fetcher == nil {
				// The chain is fetched over TLS trusting the same roots
				// (and the system's), so a test CA can serve it.
				fetchRoots, err := x509.SystemCertPool()
				if err != nil {
					fetchRoots = x509.NewCertPool()
				}
				pem, _ := os.ReadFile(sec.AlexaTrustRoots)
				fetchRoots.AppendCertsFromPEM(pem)
				tr := http.DefaultTransport.(*http.Transport).Clone()
				tr.TLSClientConfig = &tls.Config{RootCAs: fetchRoots, MinVersion: tls.VersionTLS12}
				v.Fetcher = auth.HTTPFetcher{Client: &http.Client{Transport: tr, Timeout: auth.DefaultFetchTimeout}}
			}
		}
		ax = &alexa.Handler{Verifier: v, Replays: s.store, Ops: ops, Logger: s.log}
	}
	mux.Handle("POST /alexa", ax)
}

// disabled answers 503 with reason.
func disabled(reason string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": reason})
	})
}

func enabled(h http.Handler, on bool, reason string) http.Handler {
	if on {
		return h
	}
	return disabled(reason)
}
