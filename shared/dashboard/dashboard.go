// Package dashboard is Shipwave's web dashboard: plain HTML, CSS and
// JavaScript embedded in the binary (no CDN, no build step). The page reads
// everything from the /v1 API of package httpapi, on the origin it was
// served from, polling every two seconds: the pipelines overview, a
// pipeline's stages → waves → targets with live versions, weights and
// alarm states, a release's timeline with its actions, the "what version
// runs where" matrix and each pipeline's DORA metrics with inline SVG
// charts.
//
// The page holds no data, so it is served without credentials. On the local
// stack it reads the stack's token from its URL's fragment
// (http://127.0.0.1:8081/#token=TOKEN, which `local up` prints: a fragment
// never reaches a server or a log) and keeps it in the tab's
// sessionStorage.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the dashboard's files; every path that is not a file is
// the page itself (its routes live in the URL's fragment).
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		switch r.URL.Path {
		case "/app.js", "/style.css":
			files.ServeHTTP(w, r)
		default:
			b, _ := static.ReadFile("static/index.html")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(b)
		}
	})
}
