package runner

import (
	"os"
	"path/filepath"
	"testing"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantOK     bool
		wantReason string
	}{
		{name: "empty", payload: "", wantOK: true},
		{name: "null", payload: "null", wantOK: true},
		{name: "string", payload: `"ok"`, wantOK: true},
		{name: "no status", payload: `{"checked":3}`, wantOK: true},
		{name: "succeeded", payload: `{"status":"Succeeded"}`, wantOK: true},
		{name: "failed lower case", payload: `{"status":"failed","reason":"nope"}`, wantReason: "nope"},
		{name: "failed without reason", payload: `{"status":"Failed"}`, wantReason: "hook reported Failed without a reason"},
		{name: "broken object", payload: `{"status":`, wantReason: "answer is not valid JSON: unexpected end of JSON input"},
		{name: "status not a string", payload: `{"status":false}`, wantReason: "answer is not valid JSON: json: cannot unmarshal bool into Go struct field .status of type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := verdict([]byte(tt.payload))
			if ok != tt.wantOK || reason != tt.wantReason {
				t.Errorf("verdict(%s) = %v, %q; want %v, %q", tt.payload, ok, reason, tt.wantOK, tt.wantReason)
			}
		})
	}
}

func FuzzVerdict(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/answers/*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("read seed %s: %v", p, err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"status":"Failed","reason":"x"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ok, reason := verdict(payload)
		if !ok && reason == "" {
			t.Fatalf("verdict(%q) failed without a reason", payload)
		}
		if ok && reason != "" {
			t.Fatalf("verdict(%q) passed with reason %q", payload, reason)
		}
		if len(reason) > 600 {
			t.Fatalf("reason of %d bytes is not truncated", len(reason))
		}
	})
}
