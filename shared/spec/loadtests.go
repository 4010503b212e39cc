package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/shipwave/shipwave/shared/release"
)

// RefuseLoadTests returns Problems, one per loadTest field of the spec at
// file (data, parsed as p), each saying message, or nil when no wave of p
// runs a load test. A stack deployed without load-test networking uses it
// to refuse such specs when they are saved, instead of failing the release
// when the load test starts.
func RefuseLoadTests(file string, data []byte, p release.Pipeline, message string) error {
	uses := false
	for _, st := range p.Stages {
		for _, w := range st.Waves {
			uses = uses || w.LoadTest != nil
		}
	}
	if !uses {
		return nil
	}
	var ps Problems
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil {
		findKey(&doc, "", "loadTest", func(n *yaml.Node, path string) {
			ps = append(ps, Problem{File: file, Line: n.Line, Column: n.Column, Path: path, Message: message})
		})
	}
	if len(ps) == 0 { // reached through an alias or merge key only
		for i, st := range p.Stages {
			for j, w := range st.Waves {
				if w.LoadTest != nil {
					ps = append(ps, Problem{File: file, Path: fmt.Sprintf("stages[%d].waves[%d].loadTest", i, j), Message: message})
				}
			}
		}
	}
	ps.sort()
	return ps
}

// findKey calls found for every mapping key named key with a non-null
// value, with the key's node and its field path.
func findKey(n *yaml.Node, path, key string, found func(*yaml.Node, string)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			findKey(c, path, key, found)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			findKey(c, index(path, i), key, found)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == key && !isNull(v) {
				found(k, join(path, key))
				continue
			}
			findKey(v, join(path, k.Value), key, found)
		}
	}
}
