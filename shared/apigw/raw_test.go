package apigw_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shipwave/shipwave/shared/apigw"
)

func TestHandlerKeepsTheRawRequest(t *testing.T) {
	var gotBody []byte
	var gotReq *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotReq = r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "b"})
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"ok":true}`)
	})
	body := []byte("payload=%7B%22a%22%3A1%7D&x=\x00\xff")
	tests := []struct {
		name string
		in   events.APIGatewayV2HTTPRequest
	}{
		{name: "plain body", in: events.APIGatewayV2HTTPRequest{
			RawPath: "/slack", RawQueryString: "a=1", Body: string(body),
			Headers:        map[string]string{"x-slack-signature": "v0=abc", "host": "api.example.com"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.7"}},
		}},
		{name: "base64 body", in: events.APIGatewayV2HTTPRequest{
			RawPath: "/slack", RawQueryString: "a=1", Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true,
			Headers:        map[string]string{"x-slack-signature": "v0=abc", "host": "api.example.com"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.7"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := apigw.Handler(h)(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(gotBody) != string(body) {
				t.Errorf("handler got body %q, want %q", gotBody, body)
			}
			if gotReq.Method != "POST" || gotReq.URL.Path != "/slack" || gotReq.URL.RawQuery != "a=1" || gotReq.Host != "api.example.com" {
				t.Errorf("got %s %s?%s host %s, want POST /slack?a=1 host api.example.com", gotReq.Method, gotReq.URL.Path, gotReq.URL.RawQuery, gotReq.Host)
			}
			if got := gotReq.Header.Get("X-Slack-Signature"); got != "v0=abc" {
				t.Errorf("got signature header %q, want v0=abc", got)
			}
			if out.StatusCode != http.StatusAccepted || out.Body != `{"ok":true}` || out.Headers["Content-Type"] != "application/json" || len(out.Cookies) != 1 {
				t.Errorf("got response %+v, want 202 with the JSON body, content type and one cookie", out)
			}
		})
	}
}

func TestHandlerBadBase64(t *testing.T) {
	out, err := apigw.Handler(http.NotFoundHandler())(context.Background(), events.APIGatewayV2HTTPRequest{Body: "!!", IsBase64Encoded: true})
	if err != nil || out.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %d, %v; want 400", out.StatusCode, err)
	}
}

func TestBinaryResponseIsBase64(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte{0xff, 0xfe}) })
	out, _ := apigw.Handler(h)(context.Background(), events.APIGatewayV2HTTPRequest{})
	if !out.IsBase64Encoded || out.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}) {
		t.Fatalf("got %+v, want base64 body", out)
	}
}
