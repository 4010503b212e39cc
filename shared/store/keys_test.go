package store

import "testing"

func TestEventOfKeys(t *testing.T) {
	tests := []struct {
		name    string
		pk, sk  string
		wantID  string
		wantSeq int64
	}{
		{"an event", releaseKey("01R"), eventSK(42), "01R", 42},
		{"the release itself", releaseKey("01R"), releaseSK(), "", 0},
		{"a lock", lockKey("t"), lockSK(), "", 0},
		{"no release id", releaseKey(""), eventSK(1), "", 0},
		{"short sequence", releaseKey("01R"), "EVENT#42", "", 0},
		{"not a number", releaseKey("01R"), "EVENT#0000000000000000004x", "", 0},
		{"sequence zero", releaseKey("01R"), eventSK(0), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, seq, ok := EventOfKeys(tt.pk, tt.sk)
			if id != tt.wantID || seq != tt.wantSeq || ok != (tt.wantID != "") {
				t.Errorf("EventOfKeys(%q, %q) = %q, %d, %v; want %q, %d", tt.pk, tt.sk, id, seq, ok, tt.wantID, tt.wantSeq)
			}
		})
	}
}
