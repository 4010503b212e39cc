package ssmparam_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/shipwave/shipwave/shared/auth/ssmparam"
	"github.com/shipwave/shipwave/shared/awsfake"
	"github.com/shipwave/shipwave/shared/release"
)

// parameterStore answers GetParameter (AWS JSON 1.1) from a map, checking
// that values are asked for decrypted.
type parameterStore struct {
	params map[string]string
	t      *testing.T
}

func (p parameterStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var in struct {
		Name           string
		WithDecryption bool
	}
	json.Unmarshal(raw, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		return
	}
	if !in.WithDecryption {
		p.t.Errorf("GetParameter %s without decryption", in.Name)
	}
	if in.Name == "denied" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"AccessDeniedException","message":"no"}`)
		return
	}
	v, ok := p.params[in.Name]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ParameterNotFound"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": in.Name, "Type": "SecureString", "Value": v, "Version": 3}})
}

func TestSecret(t *testing.T) {
	srv := httptest.NewServer(parameterStore{params: map[string]string{"/shipwave/github": "gh", "/shipwave/empty": ""}, t: t})
	t.Cleanup(srv.Close)
	src := ssmparam.New(ssm.NewFromConfig(awsfake.Config(srv.URL)))
	tests := []struct {
		name, want string
		err        error
	}{
		{name: "/shipwave/github", want: "gh"},
		{name: "/shipwave/missing", err: release.ErrNotFound},
		{name: "/shipwave/empty", err: release.ErrInvalid},
		{name: "denied", err: release.ErrUnauthorized},
		{name: "", err: release.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Secret(context.Background(), tt.name)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
