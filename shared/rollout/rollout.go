// Package rollout folds a release's event log over its pipeline's shape
// into the tree `shipwave release get` draws (kubectl argo rollouts get):
// stages → waves → targets, each with the version, the candidate's weight,
// the current step, the bake's time left and the alarms, and the next
// action the operator can take. Weights and bake lengths come from the
// events' structured Data (the messages are for people; they are read only
// for events recorded before events carried Data).
package rollout

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/release"
)

// Target is one target's line.
type Target struct {
	Name    string            `json:"name"`
	Version string            `json:"version"` // what it serves now (stable side)
	Weight  int               `json:"weight"`  // percent on this release's version
	Step    string            `json:"step"`    // pending, shifting, baking, promoted, rolled back, ...
	BakeEnd time.Time         `json:"bakeEnd,omitzero"`
	Alarms  map[string]string `json:"alarms,omitempty"`
}

// Wave is one wave with its targets.
type Wave struct {
	Name    string   `json:"name"`
	Targets []Target `json:"targets"`
}

// Stage is one stage with its waves.
type Stage struct {
	Name    string `json:"name"`
	Waiting bool   `json:"approvalWaiting,omitempty"`
	Waves   []Wave `json:"waves"`
}

// Tree is a release's tree.
type Tree struct {
	Release release.Release `json:"release"`
	Stages  []Stage         `json:"stages"`
	// Next says what the operator can do now.
	Next string `json:"next"`
}

// eventData is what the tree reads from an event's Data: the weight of a
// TrafficShifted event, the seconds a BakeStarted or BakeExtended bake
// runs from the event's time.
type eventData struct {
	Weight  *int   `json:"weight"`
	Seconds *int64 `json:"seconds"`
}

func dataOf(e release.Event) eventData {
	var d eventData
	if len(e.Data) > 0 {
		_ = json.Unmarshal(e.Data, &d) // an event without these fields says nothing here
	}
	return d
}

// weightOf is a TrafficShifted event's weight: its Data's, or for an event
// recorded before events carried it, the "NAME: N% on V" of its message.
func weightOf(e release.Event) (int, bool) {
	if d := dataOf(e); d.Weight != nil {
		return *d.Weight, true
	}
	var w int
	_, err := fmt.Sscanf(e.Message[strings.LastIndex(e.Message, ": ")+2:], "%d%%", &w)
	return w, err == nil
}

// secondsOf is how long a bake runs from e: its Data's seconds, or for an
// event recorded before events carried them, what legacy (a Sscanf format)
// reads from its message.
func secondsOf(e release.Event, legacy string) (int64, bool) {
	if d := dataOf(e); d.Seconds != nil {
		return *d.Seconds, true
	}
	if legacy == "" {
		return 0, false
	}
	var secs int64
	_, err := fmt.Sscanf(e.Message, legacy, &secs)
	return secs, err == nil
}

// Build folds v's events over p's stages.
func Build(p httpapi.PipelineView, v httpapi.ReleaseView) Tree {
	type tstate struct {
		step    string
		weight  int
		bakeEnd time.Time
	}
	ts := map[string]*tstate{}
	get := func(n string) *tstate {
		if ts[n] == nil {
			ts[n] = &tstate{step: "pending"}
		}
		return ts[n]
	}
	waiting := ""
	baking, paused := false, false
	for _, e := range v.Events {
		switch e.Type {
		case release.EventApprovalWaiting:
			waiting = e.Stage
		case release.EventApproved, release.EventRejected, release.EventApprovalTimedOut:
			waiting = ""
		}
		if e.Target == "" {
			continue
		}
		t := get(e.Target)
		switch e.Type {
		case release.EventTargetPrepared:
			t.step = "prepared"
		case release.EventTrafficShifted:
			if w, ok := weightOf(e); ok {
				t.weight = w
			}
			t.step = "shifting"
		case release.EventBakeStarted:
			if secs, ok := secondsOf(e, "baking %ds"); ok {
				t.bakeEnd = e.Time.Add(time.Duration(secs) * time.Second)
			}
			t.step = "baking"
		case release.EventBakeExtended:
			if secs, ok := secondsOf(e, ""); ok && t.step == "baking" {
				t.bakeEnd = e.Time.Add(time.Duration(secs) * time.Second)
			}
		case release.EventBakePassed:
			t.step, t.bakeEnd = "baked", time.Time{}
		case release.EventNote:
			if strings.HasPrefix(e.Message, "paused at ") {
				t.step, t.bakeEnd = "paused", time.Time{}
			}
		case release.EventPromoted:
			if t.step == "paused" {
				t.step = "shifting"
			}
		case release.EventAlarm:
			t.step = "alarm"
		case release.EventHookFailed:
			t.step = "hook failed"
		case release.EventTargetPromoted:
			t.step, t.weight, t.bakeEnd = "promoted", 100, time.Time{}
		case release.EventRollbackStarted:
			t.step = "rolling back"
		case release.EventRolledBack:
			t.step, t.weight, t.bakeEnd = "rolled back", 0, time.Time{}
		case release.EventRestoreFailed:
			t.step = "restore failed"
		}
	}
	tree := Tree{Release: v.Release, Stages: []Stage{}}
	running := !v.Release.Status.Terminal()
	for _, s := range p.Stages {
		st := Stage{Name: s.Name, Waiting: running && waiting == s.Name, Waves: []Wave{}}
		for _, w := range s.Waves {
			wv := Wave{Name: w.Name, Targets: []Target{}}
			for _, t := range w.Targets {
				x := get(t.Name)
				line := Target{Name: t.Name, Weight: x.weight, Step: x.step, BakeEnd: x.bakeEnd, Alarms: t.Alarms}
				if t.State != nil {
					line.Version = t.State.Stable
				}
				if !running && x.step == "baking" {
					line.Step, line.BakeEnd = "ended", time.Time{}
				}
				if (x.step == "baking" || x.step == "paused") && running {
					baking = true
				}
				if x.step == "paused" && running {
					paused = true
				}
				wv.Targets = append(wv.Targets, line)
			}
			st.Waves = append(st.Waves, wv)
		}
		tree.Stages = append(tree.Stages, st)
	}
	id := v.Release.ID
	switch {
	case !running && v.Release.Status == release.StatusSucceeded:
		tree.Next = "none: it succeeded (undo: shipwave release undo " + id + ")"
	case !running:
		tree.Next = "none: it ended " + string(v.Release.Status) + " (retry: shipwave release retry " + id + ")"
	case waiting != "":
		tree.Next = "approval waiting at " + waiting + ": run shipwave release approve " + id + " (or reject)"
	case paused:
		tree.Next = "paused until promoted: run shipwave release promote " + id + " (abort: shipwave release abort " + id + ")"
	case baking:
		tree.Next = "baking: wait, or skip the bake with shipwave release promote " + id + " (abort: shipwave release abort " + id + ")"
	default:
		tree.Next = "running: watch with shipwave release get " + id + " --watch (abort: shipwave release abort " + id + ")"
	}
	return tree
}

// Style colours the drawing (Plain draws none).
type Style struct{ Color bool }

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s Style) step(step string) string {
	switch step {
	case "promoted", "baked":
		return s.paint("32", "✔ "+step)
	case "rolled back", "alarm", "hook failed", "restore failed", "rolling back":
		return s.paint("31", "✖ "+step)
	case "baking", "shifting", "prepared", "paused":
		return s.paint("33", "◌ "+step)
	}
	return s.paint("2", "○ "+step)
}

func (s Style) status(st release.Status) string {
	switch st {
	case release.StatusSucceeded:
		return s.paint("32", string(st))
	case release.StatusRolledBack, release.StatusFailed:
		return s.paint("31", string(st))
	case release.StatusNeedsAttention:
		return s.paint("33", string(st))
	}
	return s.paint("36", string(st))
}

// Bar draws a weight bar of width 10.
func Bar(w int) string {
	w = max(0, min(100, w))
	n := (w + 5) / 10
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", 10-n) + "]"
}

// Render draws the tree at now.
func (t Tree) Render(out io.Writer, now time.Time, s Style) {
	r := t.Release
	fmt.Fprintf(out, "Name:      %s\nPipeline:  %s\nVersion:   %s\nStatus:    %s\n", r.ID, r.Pipeline, r.Version, s.status(r.Status))
	if r.Reason != "" {
		fmt.Fprintf(out, "Reason:    %s\n", r.Reason)
	}
	fmt.Fprintf(out, "Next:      %s\n\n", t.Next)
	for i, st := range t.Stages {
		last := i == len(t.Stages)-1
		fmt.Fprintf(out, "%s stage %s", branch(last), st.Name)
		if st.Waiting {
			fmt.Fprint(out, "  ", s.paint("33", "⏸ approval waiting"))
		}
		fmt.Fprintln(out)
		for j, w := range st.Waves {
			wl := j == len(st.Waves)-1
			fmt.Fprintf(out, "%s%s wave %s\n", pad(last), branch(wl), w.Name)
			for k, tg := range w.Targets {
				tl := k == len(w.Targets)-1
				line := fmt.Sprintf("%s%s%s %s  %s %3d%%  %s", pad(last), pad(wl), branch(tl), tg.Name, Bar(tg.Weight), tg.Weight, s.step(tg.Step))
				if tg.Version != "" {
					line += "  serving " + tg.Version
				}
				if !tg.BakeEnd.IsZero() && tg.Step == "baking" {
					left := max(0, tg.BakeEnd.Sub(now)).Round(time.Second)
					line += fmt.Sprintf("  bake %s left", left)
				}
				for _, a := range sortedKeys(tg.Alarms) {
					state := tg.Alarms[a]
					if state == "ALARM" {
						state = s.paint("31", state)
					}
					line += "  " + a + "=" + state
				}
				fmt.Fprintln(out, line)
			}
		}
	}
}

func branch(last bool) string {
	if last {
		return "└──"
	}
	return "├──"
}

func pad(last bool) string {
	if last {
		return "    "
	}
	return "│   "
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
