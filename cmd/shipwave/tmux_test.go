package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs the shipwave command (this test binary as main) in a
// detached tmux session on a real terminal; the shell prints EXIT=code
// when it ends.
type tmuxSession struct {
	t    *testing.T
	name string
}

func newTmux(t *testing.T, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux not found on PATH (apt-get install -y tmux): %v", err)
	}
	s := &tmuxSession{t: t, name: fmt.Sprintf("shipwave-test-%d", time.Now().UnixNano())}
	quoted := []string{os.Args[0]}
	for _, a := range args {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	env := fmt.Sprintf("%s=1 SHIPWAVE_STATE_DIR='%s' ", asMain, os.Getenv("SHIPWAVE_STATE_DIR"))
	cmd := env + strings.Join(quoted, " ") + "; echo EXIT=$?; sleep 60"
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", s.name, "-x", "160", "-y", "40", cmd).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	return s
}

func (s *tmuxSession) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", s.name).Output()
	if err != nil {
		s.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitScreen polls the screen until re matches, for up to 60s.
func (s *tmuxSession) waitScreen(re string) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		scr := s.screen()
		if rx.MatchString(scr) {
			return scr
		}
		select {
		case <-tick.C:
		case <-deadline:
			s.t.Fatalf("the screen never matched %q; it shows:\n%s", re, scr)
		}
	}
}

func (s *tmuxSession) keys(keys ...string) {
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", s.name}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v %s", err, out)
	}
}

// testWatchOnATerminal: on a terminal `release get --watch` redraws the
// tree in place (the bake's time left counts down), Ctrl-C exits 130, and
// `release watch` after a promote exits 0 once the release succeeded.
func testWatchOnATerminal(t *testing.T, api string) {
	code, out, stderr := cliRun(context.Background(), "local", "push", "--api", api, "--pipeline", "slow", "--version", "v2")
	if code != 0 {
		t.Fatalf("push slow: exit %d %s%s", code, out, stderr)
	}
	id := regexp.MustCompile(`release (\S+) of slow`).FindStringSubmatch(out)[1]

	s := newTmux(t, "release", "get", id, "--watch", "--api", api)
	scr := s.waitScreen(`bake 9m5\ds left`)
	if n := strings.Count(scr, "Name:"); n != 1 {
		t.Errorf("the screen shows %d trees, want one redrawn in place:\n%s", n, scr)
	}
	if !strings.Contains(scr, "skip the bake with shipwave release promote "+id) {
		t.Errorf("the tree does not say what to do next:\n%s", scr)
	}
	s.keys("C-c")
	s.waitScreen(`EXIT=130`)

	w := newTmux(t, "release", "watch", id, "--api", api)
	w.waitScreen(`bake \S+ left`)
	if code, out, stderr := cliRun(context.Background(), "release", "promote", id, "--api", api, "--reason", "tmux test"); code != 0 {
		t.Fatalf("promote: exit %d %s%s", code, out, stderr)
	}
	scr = w.waitScreen(`EXIT=\d+`)
	if !strings.Contains(scr, "EXIT=0") || !strings.Contains(scr, "SUCCEEDED") {
		t.Errorf("release watch after promote:\n%s\nwant SUCCEEDED and EXIT=0", scr)
	}
}
