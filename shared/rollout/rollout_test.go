package rollout_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/httpapi"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/rollout"
)

func TestBuildAndRender(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := httpapi.PipelineView{Name: "shop", Stages: []httpapi.StageView{
		{Name: "beta", Waves: []httpapi.WaveView{{Name: "beta", Targets: []httpapi.TargetView{{Name: "local:b", State: &release.TargetState{Stable: "v2"}}}}}},
		{Name: "prod", Approvers: []string{"alice"}, Waves: []httpapi.WaveView{{Name: "one-box", Targets: []httpapi.TargetView{
			{Name: "local:p", State: &release.TargetState{Stable: "v1"}, Alarms: map[string]string{"shop-5xx": "ALARM"}}}}}},
	}}
	ev := func(typ release.EventType, stage, target, msg string, at time.Duration) release.Event {
		return release.Event{Type: typ, Stage: stage, Target: target, Message: msg, Time: t0.Add(at)}
	}
	v := httpapi.ReleaseView{Release: release.Release{ID: "01R", Pipeline: "shop", Version: "v2", Status: release.StatusInProgress}, Events: []release.Event{
		ev(release.EventTrafficShifted, "beta", "local:b", "local:b: 100% on v2", 0),
		ev(release.EventTargetPromoted, "beta", "local:b", "", time.Second),
		ev(release.EventApprovalWaiting, "prod", "", "", 2*time.Second),
		ev(release.EventApproved, "prod", "", "", 3*time.Second),
		ev(release.EventTrafficShifted, "prod", "local:p", "local:p: 10% on v2", 4*time.Second),
		ev(release.EventBakeStarted, "prod", "local:p", "baking 60s at 10%, watching shop-5xx", 4*time.Second),
	}}
	tree := rollout.Build(p, v)
	if got := tree.Stages[1].Waves[0].Targets[0]; got.Step != "baking" || got.Weight != 10 || !got.BakeEnd.Equal(t0.Add(64*time.Second)) {
		t.Errorf("prod target = %+v, want baking at 10%% until +64s", got)
	}
	if !strings.Contains(tree.Next, "shipwave release promote 01R") {
		t.Errorf("next = %q, want the promote hint", tree.Next)
	}
	var b bytes.Buffer
	tree.Render(&b, t0.Add(34*time.Second), rollout.Style{})
	for _, want := range []string{
		"├── stage beta\n│   └── wave beta\n│       └── local:b  [██████████] 100%  ✔ promoted  serving v2\n",
		"└── stage prod\n    └── wave one-box\n        └── local:p  [█·········]  10%  ◌ baking  serving v1  bake 30s left  shop-5xx=ALARM\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("drawing lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Error("a plain style drew colour")
	}

	// A pause step: promote is the way on.
	paused := append(append([]release.Event{}, v.Events[:5]...), ev(release.EventNote, "prod", "local:p", "paused at 10% on local:p (alarms watched) until the release is promoted", 5*time.Second))
	if tree := rollout.Build(p, httpapi.ReleaseView{Release: v.Release, Events: paused}); tree.Stages[1].Waves[0].Targets[0].Step != "paused" || !strings.Contains(tree.Next, "paused until promoted: run shipwave release promote 01R") {
		t.Errorf("paused: %+v next=%q", tree.Stages[1].Waves[0].Targets[0], tree.Next)
	}

	// A gate: the next action says how to approve.
	v.Events = v.Events[:3]
	if tree := rollout.Build(p, v); !tree.Stages[1].Waiting || !strings.Contains(tree.Next, "shipwave release approve 01R") {
		t.Errorf("at the gate: waiting=%v next=%q", tree.Stages[1].Waiting, tree.Next)
	}
	// Ended: nothing running, the bake is over.
	v.Events = append(v.Events[:3:3], ev(release.EventBakeStarted, "prod", "local:p", "baking 60s at 10%", 4*time.Second))
	v.Release.Status = release.StatusRolledBack
	if tree := rollout.Build(p, v); tree.Stages[1].Waves[0].Targets[0].Step != "ended" || !strings.Contains(tree.Next, "retry") {
		t.Errorf("ended: %+v next=%q", tree.Stages[1].Waves[0].Targets[0], tree.Next)
	}
}

func TestBar(t *testing.T) {
	for w, want := range map[int]string{0: "[··········]", 50: "[█████·····]", 100: "[██████████]", 150: "[██████████]", -5: "[··········]"} {
		if got := rollout.Bar(w); got != want {
			t.Errorf("Bar(%d) = %s, want %s", w, got, want)
		}
	}
}

// TestBuildReadsEventData: weights and bake lengths come from the events'
// Data (what control records), whatever the messages say; an extended bake
// ends when its extension does. (TestBuildAndRender covers the messages of
// events recorded before they carried Data.)
func TestBuildReadsEventData(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := httpapi.PipelineView{Name: "shop", Stages: []httpapi.StageView{{Name: "prod", Waves: []httpapi.WaveView{{Name: "one-box",
		Targets: []httpapi.TargetView{{Name: "local:p", State: &release.TargetState{Stable: "v1"}}}}}}}}
	ev := func(typ release.EventType, data string, at time.Duration) release.Event {
		return release.Event{Type: typ, Stage: "prod", Wave: "one-box", Target: "local:p", Message: "reworded: 99% for 999s", Data: json.RawMessage(data), Time: t0.Add(at)}
	}
	tests := []struct {
		name       string
		events     []release.Event
		wantWeight int
		wantEnd    time.Duration
	}{
		{"shifted and baking", []release.Event{
			ev(release.EventTrafficShifted, `{"weight":25,"stable":"v1","candidate":"v2"}`, 0),
			ev(release.EventBakeStarted, `{"seconds":120,"weight":25}`, time.Second),
		}, 25, 121 * time.Second},
		{"bake extended", []release.Event{
			ev(release.EventTrafficShifted, `{"weight":100}`, 0),
			ev(release.EventBakeStarted, `{"seconds":60,"weight":100}`, 0),
			ev(release.EventBakeExtended, `{"seconds":15,"elapsed":60}`, 60*time.Second),
		}, 100, 75 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := httpapi.ReleaseView{Release: release.Release{ID: "01R", Status: release.StatusInProgress}, Events: tt.events}
			got := rollout.Build(p, v).Stages[0].Waves[0].Targets[0]
			if got.Weight != tt.wantWeight || got.Step != "baking" || !got.BakeEnd.Equal(t0.Add(tt.wantEnd)) {
				t.Errorf("target = %+v, want baking at %d%% until +%s", got, tt.wantWeight, tt.wantEnd)
			}
		})
	}
}
