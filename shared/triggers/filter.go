package triggers

import (
	"fmt"
	"strings"

	"github.com/shipwave/shipwave/shared/glob"
	"github.com/shipwave/shipwave/shared/release"
)

// pushRule is one compiled push trigger of a pipeline, with the pipeline
// source's filters filled in where the rule leaves a field empty.
type pushRule struct {
	name     string // "triggers[2].push"
	branches []*glob.Glob
	tags     []*glob.Glob
	paths    []*glob.Glob
	ignore   []*glob.Glob
}

// pushRules compiles a pipeline's push triggers. A pipeline without any push
// trigger has no rule: pushes do not start it (the spec's triggers are the
// authority, see Allow). A bad pattern is release.ErrInvalid naming the
// spec field.
func pushRules(p release.Pipeline) ([]pushRule, error) {
	var rules []pushRule
	for i, tr := range p.Triggers {
		if tr.Push == nil {
			continue
		}
		r, err := compileRule(fmt.Sprintf("triggers[%d].push", i), *tr.Push, p.Source)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func compileRule(name string, pt release.PushTrigger, src release.Source) (pushRule, error) {
	r := pushRule{name: name}
	var srcBranches []string
	if src.Branch != "" {
		srcBranches = []string{src.Branch}
	}
	for _, f := range []struct {
		field    string
		own, def []string
		out      *[]*glob.Glob
	}{
		{"branches", pt.Branches, srcBranches, &r.branches},
		{"tags", pt.Tags, src.Tags, &r.tags},
		{"paths", pt.Paths, src.Paths, &r.paths},
		{"ignore", pt.Ignore, src.Ignore, &r.ignore},
	} {
		patterns, from := f.own, name+"."+f.field
		if len(patterns) == 0 {
			patterns, from = f.def, "source."+f.field
			if f.field == "branches" {
				from = "source.branch"
			}
		}
		for i, pat := range patterns {
			g, err := glob.Compile(pat)
			if err != nil {
				return pushRule{}, release.Errorf(release.ErrInvalid, "%s[%d]: %w", from, i, err)
			}
			*f.out = append(*f.out, g)
		}
	}
	return r, nil
}

// matchRef reports whether the pushed branch or tag passes the rule, and if
// not, why.
func (r pushRule) matchRef(t release.Trigger) (bool, string) {
	switch {
	case t.Branch != "":
		if len(r.branches) == 0 {
			return false, fmt.Sprintf("%s: no branch filter (source.branch is empty)", r.name)
		}
		if !glob.MatchAny(r.branches, t.Branch) {
			return false, fmt.Sprintf("%s: branch %q matches none of %s", r.name, t.Branch, patterns(r.branches))
		}
		return true, ""
	case t.Tag != "":
		if len(r.tags) == 0 {
			return false, fmt.Sprintf("%s: tag pushes not enabled (no tags filter)", r.name)
		}
		if !glob.MatchAny(r.tags, t.Tag) {
			return false, fmt.Sprintf("%s: tag %q matches none of %s", r.name, t.Tag, patterns(r.tags))
		}
		return true, ""
	}
	return false, fmt.Sprintf("%s: ref %q is neither a branch nor a tag", r.name, t.Ref)
}

// needsFiles reports whether the rule filters on changed files for this push.
// Path filters apply to branch pushes only, as in CodePipeline: a tag names
// a commit, not a change.
func (r pushRule) needsFiles(t release.Trigger) bool {
	return t.Branch != "" && (len(r.paths) > 0 || len(r.ignore) > 0)
}

// matchFiles reports whether at least one changed file is included by the
// paths filter (any file, when it is empty) and not excluded by ignore.
func (r pushRule) matchFiles(files []string) (bool, string) {
	for _, f := range files {
		if (len(r.paths) == 0 || glob.MatchAny(r.paths, f)) && !glob.MatchAny(r.ignore, f) {
			return true, ""
		}
	}
	if len(files) == 0 {
		return false, fmt.Sprintf("%s: the push changed no files", r.name)
	}
	desc := "paths " + patterns(r.paths)
	if len(r.paths) == 0 {
		desc = "any path"
	}
	if len(r.ignore) > 0 {
		desc += " outside ignore " + patterns(r.ignore)
	}
	return false, fmt.Sprintf("%s: none of %d changed files matches %s", r.name, len(files), desc)
}

func patterns(globs []*glob.Glob) string {
	s := make([]string, len(globs))
	for i, g := range globs {
		s[i] = g.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}
