package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/release"
)

// Client talks to a running stack's API.
type Client struct {
	// Base is the API's base URL, e.g. http://127.0.0.1:8081.
	Base string
	HTTP *http.Client
	// Token is the stack's API token, sent as "Authorization: Bearer
	// TOKEN" (Stack.Token; `local up` stores it for the CLI).
	Token string
	// Actor, when set, labels requests (HeaderActor) with who they are for.
	Actor string
	// Sign, when set, signs each request before it is sent (the CLI signs
	// requests to the AWS API with SigV4); body is the request's body.
	Sign func(req *http.Request, body []byte) error
}

// NewClient returns a client for the API at addr (host:port or a URL).
func NewClient(addr string) *Client {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{Base: strings.TrimRight(addr, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// apiError is an error answer of the API; its kind follows the status code.
func apiError(code int, msg string) error {
	if kind := httpapi.KindOf(code); kind != nil {
		return release.Errorf(kind, "%s", msg)
	}
	return fmt.Errorf("API: HTTP %d: %s", code, msg)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return c.doRaw(ctx, method, path, b, out)
}

func (c *Client) doRaw(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Actor != "" {
		req.Header.Set(HeaderActor, c.Actor)
	}
	if c.Sign != nil {
		if err := c.Sign(req, body); err != nil {
			return fmt.Errorf("sign %s %s: %w", method, path, err)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if c.Sign == nil {
			return fmt.Errorf("local API at %s: %w (is `shipwave local up` running?)", c.Base, err)
		}
		return fmt.Errorf("API at %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("local API %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return apiError(resp.StatusCode, e.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("local API %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Push creates and starts a release of a version.
func (c *Client) Push(ctx context.Context, pipeline string, req PushRequest) (PushResponse, error) {
	var out PushResponse
	err := c.do(ctx, http.MethodPost, "/v1/pipelines/"+url.PathEscape(pipeline)+"/push", req, &out)
	return out, err
}

// SendEvent puts an EventBridge event on the stack's bus.
func (c *Client) SendEvent(ctx context.Context, event []byte) ([]Delivery, error) {
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	err := c.doRaw(ctx, http.MethodPost, "/v1/events", event, &out)
	return out.Deliveries, err
}

// Releases lists every release, newest first (one pipeline's when set),
// following the API's pages to the end.
func (c *Client) Releases(ctx context.Context, pipeline string) ([]release.Release, error) {
	return httpapi.Collect(func(cursor string) (ReleasePage, error) { return c.ReleasePage(ctx, pipeline, MaxPageSize, cursor) })
}

// ReleasePage returns one page of GET /v1/releases.
func (c *Client) ReleasePage(ctx context.Context, pipeline string, limit int, cursor string) (ReleasePage, error) {
	q := url.Values{}
	if pipeline != "" {
		q.Set("pipeline", pipeline)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	path := "/v1/releases"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out ReleasePage
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// Release returns a release with its event log.
func (c *Client) Release(ctx context.Context, id string) (ReleaseView, error) {
	var out ReleaseView
	err := c.do(ctx, http.MethodGet, "/v1/releases/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Decide approves or rejects a release's waiting approval.
func (c *Client) Decide(ctx context.Context, id string, approve bool, d DecisionRequest) error {
	action := "reject"
	if approve {
		action = "approve"
	}
	return c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/"+action, d, nil)
}

// Rollback rolls a running release back and returns it ended.
func (c *Client) Rollback(ctx context.Context, id string, req RollbackRequest) (release.Release, error) {
	var out release.Release
	err := c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/rollback", req, &out)
	return out, err
}

// Undo rolls a running release back, or restores what an ended one
// promoted; it returns the release that did it.
func (c *Client) Undo(ctx context.Context, id string, req RollbackRequest) (release.Release, error) {
	var out release.Release
	err := c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/undo", req, &out)
	return out, err
}

// Restore puts a pipeline's targets back on a known-good version
// (break-glass) and returns the restore's release.
func (c *Client) Restore(ctx context.Context, pipeline string, req RestoreRequest) (release.Release, error) {
	var out release.Release
	err := c.do(ctx, http.MethodPost, "/v1/pipelines/"+url.PathEscape(pipeline)+"/restore", req, &out)
	return out, err
}

// Status returns the services' routes and the alarm states.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &out)
	return out, err
}

// Promote ends a release's running bakes now.
func (c *Client) Promote(ctx context.Context, id string, req RollbackRequest) (release.Release, error) {
	var out release.Release
	err := c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/promote", req, &out)
	return out, err
}

// Retry starts a new release of an ended release's version.
func (c *Client) Retry(ctx context.Context, id string, req RollbackRequest) (PushResponse, error) {
	var out PushResponse
	err := c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/retry", req, &out)
	return out, err
}

// Events returns a release's events after seq (one page).
func (c *Client) Events(ctx context.Context, id string, after int64) ([]release.Event, error) {
	var out struct {
		Events []release.Event `json:"events"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/releases/"+url.PathEscape(id)+"/events?after="+strconv.FormatInt(after, 10), nil, &out)
	return out.Events, err
}

// Pipeline returns a pipeline's view.
func (c *Client) Pipeline(ctx context.Context, name string) (httpapi.PipelineView, error) {
	var out httpapi.PipelineView
	err := c.do(ctx, http.MethodGet, "/v1/pipelines/"+url.PathEscape(name), nil, &out)
	return out, err
}
