package spec

import (
	"fmt"
	"strings"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// Summary describes a pipeline in one paragraph: where releases come from,
// what starts them, and how they travel through stages, waves and targets.
func Summary(p release.Pipeline) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s", p.Name)
	if p.Source.Repository != "" {
		fmt.Fprintf(&b, " releases %s", p.Source.Repository)
		if p.Source.Branch != "" {
			fmt.Fprintf(&b, "@%s", p.Source.Branch)
		}
		if len(p.Source.Paths) > 0 {
			fmt.Fprintf(&b, " (paths %s)", strings.Join(p.Source.Paths, ", "))
		}
	}
	fmt.Fprintf(&b, " in %s mode", p.ExecutionMode)
	if len(p.Triggers) == 0 {
		b.WriteString("; started manually only")
	} else {
		var ts []string
		for _, t := range p.Triggers {
			ts = append(ts, describeTrigger(t))
		}
		fmt.Fprintf(&b, "; started by %s", strings.Join(ts, ", "))
	}
	waves, targets := 0, 0
	for _, s := range p.Stages {
		waves += len(s.Waves)
		for _, w := range s.Waves {
			targets += len(w.Targets)
		}
	}
	fmt.Fprintf(&b, ". %s, %s, %s: ", plural(len(p.Stages), "stage"), plural(waves, "wave"), plural(targets, "target"))
	var stages []string
	for _, s := range p.Stages {
		stages = append(stages, describeStage(s))
	}
	b.WriteString(strings.Join(stages, " → "))
	b.WriteString(".")
	if len(p.Alarms) > 0 {
		fmt.Fprintf(&b, " Watches alarms %s.", strings.Join(p.Alarms, ", "))
	}
	if len(p.DeployWindows) > 0 {
		var ws []string
		for _, w := range p.DeployWindows {
			ws = append(ws, describeWindow(w))
		}
		fmt.Fprintf(&b, " Deploy windows: %s.", strings.Join(ws, "; "))
	}
	fmt.Fprintf(&b, " On failure: %s.", p.OnFailure)
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func describeTrigger(t release.TriggerRule) string {
	switch {
	case t.Push != nil:
		if len(t.Push.Branches) > 0 {
			return "push to " + strings.Join(t.Push.Branches, ", ")
		}
		if len(t.Push.Tags) > 0 {
			return "tag " + strings.Join(t.Push.Tags, ", ")
		}
		return "push"
	case t.Image != nil:
		return "image push to " + t.Image.Repository
	case t.Schedule != nil:
		return fmt.Sprintf("schedule %s %s", t.Schedule.Cron, t.Schedule.Timezone)
	case t.CodePipeline != nil:
		return "CodePipeline"
	case t.Chat != nil:
		return "chat"
	case t.Voice != nil:
		return "voice"
	}
	return "nothing"
}

func describeStage(s release.Stage) string {
	var parts []string
	if s.Approval != nil {
		parts = append(parts, fmt.Sprintf("approval by %s within %s", strings.Join(s.Approval.Approvers, ", "), FormatDuration(s.Approval.Timeout)))
	}
	if s.Windowed {
		parts = append(parts, "windowed")
	}
	var waves []string
	for _, w := range s.Waves {
		waves = append(waves, describeWave(w))
	}
	parts = append(parts, strings.Join(waves, ", "))
	return fmt.Sprintf("%s (%s)", s.Name, strings.Join(parts, "; "))
}

func describeWave(w release.Wave) string {
	dep := w.Deployment.Name
	switch {
	case w.Deployment.Type == release.ShiftSteps:
		var steps []string
		for _, st := range w.Deployment.Steps {
			step := fmt.Sprintf("%d%% %s", st.Weight, FormatDuration(st.Bake))
			if st.Pause {
				step = fmt.Sprintf("%d%% pause", st.Weight)
			}
			if st.Analysis != nil {
				step += " + analysis"
			}
			steps = append(steps, step)
		}
		dep = "steps " + strings.Join(steps, " → ")
	case dep == "":
		dep = fmt.Sprintf("%s %d%% every %s", w.Deployment.Type, w.Deployment.Percent, FormatDuration(w.Deployment.Interval))
	}
	s := fmt.Sprintf("%s [%s, %s, bake %s", w.Name, plural(len(w.Targets), "target"), dep, FormatDuration(w.Bake.Duration))
	if w.LoadTest != nil {
		s += ", load test"
	}
	return s + "]"
}

func describeWindow(w release.Window) string {
	clock := func(c release.Clock) string { return fmt.Sprintf("%02d:%02d", c/60, c%60) }
	return fmt.Sprintf("%s %s-%s %s", describeDays(w.Days), clock(w.Start), clock(w.End), w.Timezone)
}

// describeDays writes days as ranges starting from Monday: Mon-Thu, Sat.
func describeDays(days []time.Weekday) string {
	if len(days) == 7 {
		return "every day"
	}
	var on [7]bool
	for _, d := range days {
		on[d] = true
	}
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	var out []string
	for i := 0; i < len(order); i++ {
		if !on[order[i]] {
			continue
		}
		j := i
		for j+1 < len(order) && on[order[j+1]] {
			j++
		}
		name := order[i].String()[:3]
		if j > i {
			name += "-" + order[j].String()[:3]
		}
		out = append(out, name)
		i = j
	}
	return strings.Join(out, ",")
}
