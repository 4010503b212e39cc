package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// HeaderCaller carries the caller API Gateway authenticated: the IAM
// principal's ARN (IAM authorization) or the JWT's subject as "jwt:<sub>".
// A value the client sent itself is always removed first, so handlers may
// trust it.
const HeaderCaller = "X-Shipwave-Caller"

// Handler returns a Lambda handler that turns each HTTP API request into an
// *http.Request for h and h's answer into the response. A base64-encoded
// body is decoded first; a response body that is not UTF-8 is sent base64.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, in events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := Request(ctx, in)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: err.Error(),
				Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}}, nil
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return Response(rec), nil
	}
}

// Request builds the *http.Request an HTTP API event describes.
func Request(ctx context.Context, in events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(in.Body)
	if in.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(in.Body)
		if err != nil {
			return nil, fmt.Errorf("request body is marked base64 but is not: %w", err)
		}
		body = b
	}
	method := in.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	path := in.RawPath
	if path == "" {
		path = in.RequestContext.HTTP.Path
	}
	if path == "" {
		path = "/"
	}
	target := path
	if in.RawQueryString != "" {
		target += "?" + in.RawQueryString
	}
	r, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request %s %s: %w", method, target, err)
	}
	for k, v := range in.Headers {
		// HTTP API joins repeated headers with commas.
		r.Header.Set(k, v)
	}
	r.Header.Del(HeaderCaller)
	if a := in.RequestContext.Authorizer; a != nil {
		switch {
		case a.IAM != nil && a.IAM.UserARN != "":
			r.Header.Set(HeaderCaller, a.IAM.UserARN)
		case a.JWT != nil && a.JWT.Claims["sub"] != "":
			r.Header.Set(HeaderCaller, "jwt:"+a.JWT.Claims["sub"])
		}
	}
	if len(in.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(in.Cookies, "; "))
	}
	if host := in.Headers["host"]; host != "" {
		r.Host = host
	} else {
		r.Host = in.RequestContext.DomainName
	}
	r.RemoteAddr = in.RequestContext.HTTP.SourceIP
	r.ContentLength = int64(len(body))
	return r, nil
}

// Response turns a recorded answer into an HTTP API response.
func Response(rec *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}}
	for k, v := range rec.Header() {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, v...)
			continue
		}
		out.Headers[k] = strings.Join(v, ",")
	}
	b := rec.Body.Bytes()
	if utf8.Valid(b) {
		out.Body = string(b)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return out
}
