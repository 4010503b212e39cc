// Package apigw serves an API Gateway HTTP API (payload format 2.0) request
// with a net/http handler, so the api, webhook, Slack and Alexa handlers run
// unchanged in Lambda and on the local loopback API. The raw body reaches
// the handler byte for byte, as signature checks need, and the request's
// IAM-verified caller (the authorizer's principal ARN) becomes the
// httpapi.Caller, so the AWS api function mounts the same handler as the
// local stack.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/observe"
)

// Handler adapts h to a Lambda handler. It never returns an error: a
// request it cannot read is answered 400, so API Gateway always gets an
// answer.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := Request(ctx, req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest,
				Headers: map[string]string{"Content-Type": "application/json"},
				Body:    `{"error":"request could not be read"}`}, nil
		}
		w := &recorder{header: http.Header{}}
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}

// Request is the net/http request of an API Gateway request: the body
// byte for byte (base64 decoded when marked so), as signature checks need,
// and the verified IAM caller (if any) in its context.
func Request(ctx context.Context, req events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, fmt.Errorf("request body is marked base64 but is not: %w", err)
		}
		body = b
	}
	query := req.RawQueryString
	if query == "" && len(req.QueryStringParameters) > 0 {
		q := url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v)
		}
		query = q.Encode()
	}
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	if path == "" {
		path = "/"
	}
	host := req.Headers["host"]
	if host == "" {
		host = req.RequestContext.DomainName
	}
	u := &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: query}
	if a := req.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		ctx = httpapi.WithCaller(ctx, httpapi.Caller{Name: a.IAM.UserARN})
	}
	if parts := strings.Split(strings.Trim(path, "/"), "/"); len(parts) >= 3 && parts[1] == "releases" {
		ctx = observe.WithFields(ctx, observe.Fields{ReleaseID: parts[2]})
	}
	method := req.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request %s %s: %w", method, path, err)
	}
	for k, v := range req.Headers {
		// HTTP API joins repeated headers with commas.
		r.Header.Set(k, v)
	}
	if len(req.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(req.Cookies, "; "))
	}
	r.Host = host
	r.RemoteAddr = req.RequestContext.HTTP.SourceIP
	r.ContentLength = int64(len(body))
	return r, nil
}

type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) response() events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: w.code, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, v := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, v...)
			continue
		}
		resp.Headers[k] = strings.Join(v, ", ")
	}
	if b := w.body.Bytes(); utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return resp
}
