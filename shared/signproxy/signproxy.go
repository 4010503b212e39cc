// Package signproxy serves the dashboard on a local address for an API a
// browser cannot call itself: the AWS HTTP API, whose every route needs
// SigV4. The browser loads the embedded page from the proxy and its /v1
// requests go on to the API, each signed (or given the local stack's
// token) by the proxy with the operator's own credentials. The proxy
// listens on loopback and refuses requests from other origins.
package signproxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds a proxied request's body.
const maxBody = 256 << 10

// dropped are the browser's headers the API has no use for (and a
// browser's credentials, which the proxy replaces with the operator's).
var dropped = []string{"Cookie", "Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Authorization"}

// Handler serves dashboard at / and forwards /v1/ to upstream, calling
// sign on each forwarded request with its body.
func Handler(upstream *url.URL, dashboard http.Handler, sign func(*http.Request, []byte) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			dashboard.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, fmt.Sprintf(`{"error":"request body unreadable or over %d bytes"}`, maxBody), http.StatusBadRequest)
			return
		}
		// Sign the request as it will leave: the upstream's URL and host.
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host, out.Host = upstream.Scheme, upstream.Host, upstream.Host
		out.URL.Path = strings.TrimRight(upstream.Path, "/") + r.URL.Path
		out.RequestURI = ""
		for _, h := range dropped {
			out.Header.Del(h)
		}
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		if err := sign(out, body); err != nil {
			http.Error(w, fmt.Sprintf(`{"error":%q}`, "sign: "+err.Error()), http.StatusBadGateway)
			return
		}
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":%q}`, "API: "+err.Error()), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}
