package apigw_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/apigw"
	"github.com/shipwave/shipwave/shared/httpapi"
)

func TestHandler(t *testing.T) {
	var seen *http.Request
	var body string
	h := apigw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	req := events.APIGatewayV2HTTPRequest{RawPath: "/v1/releases/01R/approve", RawQueryString: "a=1&b=2",
		Body: base64.StdEncoding.EncodeToString([]byte(`{"comment":"x"}`)), IsBase64Encoded: true,
		Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method = "POST"
	req.RequestContext.DomainName = "abc.execute-api.eu-west-1.amazonaws.com"
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: "arn:aws:iam::1:user/alice"}}
	resp, err := h(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || resp.Body != `{"ok":true}` || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("response = %+v", resp)
	}
	c, ok := httpapi.CallerFrom(seen.Context())
	if seen.Method != "POST" || seen.URL.Path != "/v1/releases/01R/approve" || seen.URL.Query().Get("b") != "2" || body != `{"comment":"x"}` ||
		!ok || c.Name != "arn:aws:iam::1:user/alice" || c.Labels || seen.Header.Get("Content-Type") != "application/json" {
		t.Errorf("the handler saw %s %s ?%s body %q caller %+v", seen.Method, seen.URL.Path, seen.URL.RawQuery, body, c)
	}

	// No IAM principal: no caller. A bad base64 body: 400, never an error.
	req.RequestContext.Authorizer = nil
	req.Body = "%%%"
	resp, err = h(context.Background(), req)
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad body = %+v, %v; want 400", resp, err)
	}
	req.Body, req.IsBase64Encoded = "", false
	if _, err := h(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, ok := httpapi.CallerFrom(seen.Context()); ok {
		t.Error("a request without an IAM principal has a caller")
	}
}
