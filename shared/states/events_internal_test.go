package states

import "testing"

func TestEventLogTrim(t *testing.T) {
	tests := []struct {
		name    string
		hint    int
		events  int
		wantCap int // capacity of the last chunk after trim
	}{
		{"exact hint kept", 200, 200, 200},
		{"small over-estimate kept", 200, 150, 200},
		{"large over-estimate trimmed", 2000, 10, 10},
		{"small chunk kept", 64, 1, 64},
		{"no events", 500, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := eventLog{hint: tt.hint}
			for i := 0; i < tt.events; i++ {
				s := l.next()
				s.index, s.info = int32(i), infoMapStateStarted
			}
			l.trim()
			got := 0
			if len(l.chunks) > 0 {
				got = cap(l.chunks[len(l.chunks)-1])
			}
			if got != tt.wantCap {
				t.Errorf("last chunk capacity: got %d, want %d", got, tt.wantCap)
			}
			all := l.all()
			if len(all) != tt.events {
				t.Fatalf("events: got %d, want %d", len(all), tt.events)
			}
			for i, e := range all {
				if e.index != i || e.id != int64(i)+1 {
					t.Fatalf("event %d: got index %d id %d, want %d and %d", i, e.index, e.id, i, i+1)
				}
			}
		})
	}
}
