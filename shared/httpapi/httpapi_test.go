package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/release"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{release.Errorf(release.ErrNotFound, "x"), 404},
		{release.Errorf(release.ErrInvalid, "x"), 400},
		{release.Errorf(release.ErrUnauthorized, "x"), 403},
		{release.Errorf(release.ErrConflict, "x"), 409},
		{release.Errorf(release.ErrLocked, "x"), 409},
		{release.Errorf(release.ErrExpired, "x"), 409},
		{fmt.Errorf("push: %w", httpapi.ErrUnsupported), 501},
		{&httpapi.PartialError{Err: errors.New("half")}, 502},
		{errors.New("boom"), 500},
	}
	for _, tt := range tests {
		if got := httpapi.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if k := httpapi.KindOf(tt.want); k != nil && tt.err != nil && !errors.Is(tt.err, k) && tt.want != 409 {
			t.Errorf("KindOf(%d) = %v, not the kind of %v", tt.want, k, tt.err)
		}
	}
}

// emptyStore has one pipeline and nothing else.
type emptyStore struct{}

func (emptyStore) ListPipelines(context.Context) ([]string, error) { return nil, nil }
func (emptyStore) ListReleases(context.Context, string, int, string) ([]release.Release, string, error) {
	return nil, "", nil
}
func (emptyStore) GetRelease(_ context.Context, id string) (release.Release, error) {
	return release.Release{}, release.Errorf(release.ErrNotFound, "release %s", id)
}
func (emptyStore) Events(context.Context, string, int64, int) ([]release.Event, error) {
	return nil, nil
}
func (emptyStore) GetSpec(_ context.Context, p string, _ int) (release.SpecVersion, error) {
	return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "pipeline %s", p)
}
func (emptyStore) GetTargetState(_ context.Context, t string) (release.TargetState, error) {
	return release.TargetState{}, release.Errorf(release.ErrNotFound, "target %s", t)
}

// TestRouteTable: every route answers (no 405 or plain-text 404 from the
// mux); capabilities not given answer 501; routes that change state need a
// caller; outside /v1 only the dashboard answers.
func TestRouteTable(t *testing.T) {
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) })
	h := (&httpapi.Server{Store: emptyStore{}, Dashboard: dash}).Handler()
	for _, rt := range httpapi.Routes {
		path := strings.NewReplacer("{pipeline}", "p", "{id}", "r1").Replace(rt.Pattern)
		for _, caller := range []bool{false, true} {
			req := httptest.NewRequest(rt.Method, path, strings.NewReader(""))
			if caller {
				req = req.WithContext(httpapi.WithCaller(req.Context(), httpapi.Caller{Name: "arn:aws:iam::1:user/a"}))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			ct := w.Header().Get("Content-Type")
			switch {
			case ct != "application/json":
				t.Errorf("%s %s: Content-Type %q, want JSON (%d %s)", rt.Method, path, ct, w.Code, w.Body)
			case rt.Mutates && !caller && w.Code != 403:
				t.Errorf("%s %s without a caller = %d, want 403", rt.Method, path, w.Code)
			case w.Code == 405 || w.Code == 500:
				t.Errorf("%s %s = %d %s", rt.Method, path, w.Code, w.Body)
			}
		}
	}
	for _, tc := range []struct {
		method, path string
		want         int
		body         string
	}{
		{"POST", "/v1/releases/r1/promote", 501, "not available on this stack"},
		{"GET", "/v1/nope", 404, "no route"},
		{"DELETE", "/v1/releases/r1", 404, "no route"},
		{"GET", "/", 200, "<html>"},
		{"GET", "/#/p/x", 200, "<html>"},
		{"POST", "/", 404, "no route"},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req = req.WithContext(httpapi.WithCaller(req.Context(), httpapi.Caller{Name: "me"}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s %s = %d %s, want %d containing %q", tc.method, tc.path, w.Code, w.Body, tc.want, tc.body)
		}
	}
}

func TestCallerLabels(t *testing.T) {
	tests := []struct {
		c    httpapi.Caller
		want string
	}{
		{httpapi.Caller{Name: "local", Label: "alice", Labels: true}, "alice"},
		{httpapi.Caller{Name: "local", Labels: true}, "local"},
		{httpapi.Caller{Name: "arn:aws:iam::1:user/a", Label: "mallory"}, "arn:aws:iam::1:user/a"},
	}
	for _, tt := range tests {
		if got := tt.c.Actor(); got != tt.want {
			t.Errorf("%+v.Actor() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// FuzzPageCursor: a cursor from outside never panics and is refused
// unless this API issued it.
func FuzzPageCursor(f *testing.F) {
	for _, s := range []string{"", "eyJwIjoic2hvcCJ9", "%%%", "eyJwIjoiIn0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		_, _ = httpapi.Page(context.Background(), emptyStore{}, "", 10, cursor)
	})
}
