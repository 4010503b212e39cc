package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// SecretsManager is a fake AWS Secrets Manager speaking the AWS JSON 1.1
// protocol. It serves GetSecretValue for the secrets put into it, by name or
// ARN, and answers ResourceNotFoundException for others.
type SecretsManager struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu      sync.Mutex
	secrets map[string]*fakeSecret
}

type fakeSecret struct {
	name, arn string
	str       *string
	bin       []byte
	version   int
}

// NewSecretsManager starts a fake Secrets Manager closed when t ends.
func NewSecretsManager(t testing.TB) *SecretsManager {
	t.Helper()
	s := &SecretsManager{secrets: map[string]*fakeSecret{}}
	s.Server = start(t, http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's endpoint.
func (s *SecretsManager) URL() string { return s.Server.URL }

// PutString sets the string value of the secret name (creating it) and
// returns its ARN.
func (s *SecretsManager) PutString(name, value string) string {
	return s.put(name, &value, nil)
}

// PutBinary sets the binary value of the secret name and returns its ARN.
func (s *SecretsManager) PutBinary(name string, value []byte) string {
	return s.put(name, nil, value)
}

func (s *SecretsManager) put(name string, str *string, bin []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		sec = &fakeSecret{name: name, arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", Region, Account, name)}
		s.secrets[name] = sec
	}
	sec.str, sec.bin = str, bin
	sec.version++
	return sec.arn
}

func (s *SecretsManager) serve(w http.ResponseWriter, r *http.Request) {
	op, params, ok := readJSON11(w, r, "secretsmanager.")
	if !ok {
		return
	}
	if f := s.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeJSON11Error(w, f.Status, f.Code, f.Message)
		return
	}
	switch op {
	case "GetSecretValue":
		id, _ := params["SecretId"].(string)
		s.mu.Lock()
		var sec *fakeSecret
		for _, c := range s.secrets {
			if c.name == id || c.arn == id {
				sec = c
			}
		}
		var out map[string]any
		if sec != nil {
			out = map[string]any{
				"ARN": sec.arn, "Name": sec.name, "VersionId": fmt.Sprintf("v%08d-0000-0000-0000-000000000000", sec.version),
				"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
			}
			if sec.str != nil {
				out["SecretString"] = *sec.str
			}
			if sec.bin != nil {
				out["SecretBinary"] = base64.StdEncoding.EncodeToString(sec.bin)
			}
		}
		s.mu.Unlock()
		if sec == nil {
			writeJSON11Error(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		writeJSON11(w, out)
	default:
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not supported by the fake")
	}
}

// readJSON11 decodes an AWS JSON 1.1 request whose X-Amz-Target starts with
// prefix, answering the error itself when it is not one.
func readJSON11(w http.ResponseWriter, r *http.Request, prefix string) (op string, params map[string]any, ok bool) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, prefix) {
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("want POST with X-Amz-Target %s*, got %s %q", prefix, r.Method, target))
		return "", nil, false
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeJSON11Error(w, http.StatusBadRequest, "SerializationException", "want Content-Type application/x-amz-json-1.1, got "+ct)
		return "", nil, false
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeJSON11Error(w, http.StatusForbidden, "MissingAuthenticationTokenException", "request is not signed with SigV4")
		return "", nil, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON11Error(w, http.StatusBadRequest, "SerializationException", err.Error())
		return "", nil, false
	}
	params = map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &params); err != nil {
			writeJSON11Error(w, http.StatusBadRequest, "SerializationException", err.Error())
			return "", nil, false
		}
	}
	return strings.TrimPrefix(target, prefix), params, true
}

func writeJSON11(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(v)
}

func writeJSON11Error(w http.ResponseWriter, status int, code, message string) {
	if message == "" {
		message = code
	}
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}
