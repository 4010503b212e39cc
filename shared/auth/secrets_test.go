package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/auth"
	"github.com/shipwave/shipwave/shared/release"
)

func TestCache(t *testing.T) {
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	calls := 0
	value := "one"
	fail := false
	src := auth.SecretFunc(func(_ context.Context, name string) ([]byte, error) {
		calls++
		if fail {
			return nil, errors.New("throttled")
		}
		return []byte(value), nil
	})
	c := auth.NewCache(src, time.Minute, func() time.Time { return now })
	steps := []struct {
		name      string
		advance   time.Duration
		setValue  string
		fail      bool
		want      string
		wantErr   bool
		wantCalls int
	}{
		{name: "first read", want: "one", wantCalls: 1},
		{name: "cached", advance: 30 * time.Second, setValue: "two", want: "one", wantCalls: 1},
		{name: "expired", advance: 31 * time.Second, setValue: "two", want: "two", wantCalls: 2},
		{name: "failure not cached", advance: 2 * time.Minute, fail: true, wantErr: true, wantCalls: 3},
		{name: "recovers", want: "two", wantCalls: 4},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now = now.Add(s.advance)
			if s.setValue != "" {
				value = s.setValue
			}
			fail = s.fail
			got, err := c.Secret(context.Background(), "webhook/github")
			if (err != nil) != s.wantErr {
				t.Fatalf("got error %v, want error %v", err, s.wantErr)
			}
			if !s.wantErr && string(got) != s.want {
				t.Errorf("got %q, want %q", got, s.want)
			}
			if calls != s.wantCalls {
				t.Errorf("got %d source calls, want %d", calls, s.wantCalls)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	s := auth.Static{"a": "x", "empty": ""}
	tests := []struct {
		name string
		want error
	}{{"a", nil}, {"missing", release.ErrNotFound}, {"empty", release.ErrInvalid}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Secret(context.Background(), tt.name)
			checkErr(t, err, tt.want)
		})
	}
}
