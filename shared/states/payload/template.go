package payload

import (
	"errors"
	"strings"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/intrinsic"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// Env resolves paths for a template: "$..." against the effective input,
// "$$..." against the context object and "$name..." against variables.
type Env = intrinsic.Env

// InputEnv is an Env that can also return the state's effective input,
// which Step Functions prints in the cause of a missing-path failure.
type InputEnv interface {
	Env
	// Input returns the document "$" paths are resolved against.
	Input() any
}

// CompileError reports an invalid template field found at load time.
type CompileError struct {
	// Field is the JSON pointer of the offending key inside the template,
	// such as "/Payload/id.$".
	Field string
	// Parent is the JSON pointer of the object holding the key, such as
	// "/Payload" ("" for the template itself).
	Parent string
	// Key is the offending key as written, such as "id.$".
	Key string
	// Msg is the problem in Step Functions' words.
	Msg string
	// Code is the validation error code Step Functions reports for the
	// problem when it is not SCHEMA_VALIDATION_FAILED, such as
	// "INVALID_JSONATA_EXPRESSION" or "UNSUPPORTED_JSONATA_EXPRESSION".
	Code string
}

// Error returns the message naming the field.
func (e *CompileError) Error() string { return e.Msg + " at " + e.Field }

// Template is a compiled payload template. It is safe for concurrent use.
type Template struct {
	root node
}

type nodeKind uint8

const (
	nodeLiteral nodeKind = iota // a value copied as written
	nodeObject                  // an object with at least one dynamic member below it
	nodeArray                   // an array with at least one dynamic element below it
	nodePath                    // a "key.$": "$..." member
	nodeCall                    // a "key.$": "States.X(...)" member
)

type node struct {
	kind   nodeKind
	lit    any
	keys   []string // nodeObject: output keys, in template order
	fields []string // nodeObject: keys as written (with ".$" where dynamic)
	kids   []node
	unique bool // nodeObject: output keys are distinct
	path   *jsonpath.Path
	call   *intrinsic.Call
}

// Compile validates and compiles a decoded template (usually a
// *jsonvalue.Object). Every ".$" key must hold a string that is a path, a
// context path, a variable path or an intrinsic function call; otherwise it
// returns a *CompileError naming the field.
func Compile(tmpl any) (*Template, error) {
	n, err := compile(tmpl, "")
	if err != nil {
		return nil, err
	}
	return &Template{root: n}, nil
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func compile(v any, ptr string) (node, error) {
	switch x := v.(type) {
	case *jsonvalue.Object:
		n := node{kind: nodeObject, unique: true}
		dynamic := false
		seen := make(map[string]bool, x.Len())
		for i := 0; i < x.Len(); i++ {
			key, val := x.At(i)
			field := ptr + "/" + escapePointer(key)
			out := key
			var kid node
			if strings.HasSuffix(key, ".$") {
				out = strings.TrimSuffix(key, ".$")
				k, err := compileDynamic(key, val, ptr, field)
				if err != nil {
					return node{}, err
				}
				kid = k
			} else {
				k, err := compile(val, field)
				if err != nil {
					return node{}, err
				}
				kid = k
			}
			if kid.kind != nodeLiteral {
				dynamic = true
			}
			if seen[out] {
				n.unique = false
			}
			seen[out] = true
			n.keys = append(n.keys, out)
			n.fields = append(n.fields, key)
			n.kids = append(n.kids, kid)
		}
		if !dynamic {
			return node{kind: nodeLiteral, lit: x}, nil
		}
		return n, nil
	case []any:
		n := node{kind: nodeArray}
		dynamic := false
		for i, e := range x {
			k, err := compile(e, ptr+"/"+itoa(i))
			if err != nil {
				return node{}, err
			}
			if k.kind != nodeLiteral {
				dynamic = true
			}
			n.kids = append(n.kids, k)
		}
		if !dynamic {
			return node{kind: nodeLiteral, lit: x}, nil
		}
		return n, nil
	default:
		return node{kind: nodeLiteral, lit: v}, nil
	}
}

func compileDynamic(key string, val any, parent, field string) (node, error) {
	bad := func() error {
		return &CompileError{
			Field:  field,
			Parent: parent,
			Key:    key,
			Msg:    "The value for the field '" + key + "' must be a valid JSONPath or a valid intrinsic function call",
		}
	}
	s, ok := val.(string)
	if !ok {
		return node{}, bad()
	}
	if strings.HasPrefix(s, "$") {
		p, err := jsonpath.Parse(s)
		if err != nil {
			return node{}, bad()
		}
		return node{kind: nodePath, path: p}, nil
	}
	if intrinsic.IsIntrinsic(s) {
		c, err := intrinsic.Parse(s)
		if err != nil {
			return node{}, bad()
		}
		return node{kind: nodeCall, call: c}, nil
	}
	return node{}, bad()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// IsStatic reports whether the template contains no ".$" fields, so Apply
// always returns the same value.
func (t *Template) IsStatic() bool { return t.root.kind == nodeLiteral }

// Paths returns every path the template reads, including intrinsic arguments.
func (t *Template) Paths() []*jsonpath.Path { return t.root.paths(nil) }

func (n *node) paths(dst []*jsonpath.Path) []*jsonpath.Path {
	switch n.kind {
	case nodePath:
		dst = append(dst, n.path)
	case nodeCall:
		dst = append(dst, n.call.Paths()...)
	case nodeObject, nodeArray:
		for i := range n.kids {
			dst = n.kids[i].paths(dst)
		}
	}
	return dst
}

// Apply evaluates the template. Keys ending in ".$" are replaced by the key
// without the suffix holding the selected value; other keys are copied as
// written, in template order. Purely literal parts of the template are
// shared between results and must not be modified.
//
// An indefinite path (wildcard, slice or filter) that cannot be followed
// selects nothing, []. A definite path that selects nothing is a *failure.Error named States.Runtime with
// the cause "The JSONPath '$.x' specified for the field 'x.$' could not be
// found in the input '<input>'"; as an intrinsic argument, "The function
// '<call>' had the following error: The JsonPath argument for the field
// '$.x' could not be found in the input '<input>'". <input> is env.Input()
// when env is an InputEnv. Other intrinsic failures are returned as the
// *failure.Error the intrinsic package produced.
func (t *Template) Apply(env Env) (any, error) { return t.root.apply(env) }

func (n *node) apply(env Env) (any, error) {
	switch n.kind {
	case nodeLiteral:
		return n.lit, nil
	case nodeObject:
		vals := make([]any, len(n.kids))
		for i := range n.kids {
			k := &n.kids[i]
			var v any
			var err error
			switch k.kind {
			case nodePath:
				v, err = env.Lookup(k.path)
				if err != nil {
					// Step Functions evaluates an indefinite path
					// (wildcard, slice, filter) leniently: one that
					// cannot be followed selects nothing, [].
					if !k.path.IsDefinite() && jsonpath.IsNoMatch(err) {
						v = []any{}
						break
					}
					return nil, notFound(env, n.fields[i], k.path.String())
				}
			case nodeCall:
				v, err = k.call.Eval(env)
				if err != nil {
					var pe *intrinsic.PathError
					if errors.As(err, &pe) {
						return nil, functionPathNotFound(env, k.call.String(), pe.Path)
					}
					return nil, err
				}
			default:
				v, err = k.apply(env)
				if err != nil {
					return nil, err
				}
			}
			vals[i] = v
		}
		if n.unique {
			return jsonvalue.FromMembers(n.keys, vals), nil
		}
		obj := jsonvalue.NewObject(len(vals))
		for i, v := range vals {
			obj.Set(n.keys[i], v)
		}
		return obj, nil
	case nodeArray:
		arr := make([]any, len(n.kids))
		for i := range n.kids {
			v, err := n.kids[i].apply(env)
			if err != nil {
				return nil, err
			}
			arr[i] = v
		}
		return arr, nil
	}
	return nil, nil
}

func inputText(env Env) string {
	if ie, ok := env.(InputEnv); ok {
		if b, err := jsonvalue.Marshal(ie.Input()); err == nil {
			return string(b)
		}
	}
	return ""
}

func notFound(env Env, field, path string) error {
	return failure.New(failure.Runtime, "The JSONPath '"+path+"' specified for the field '"+field+"' could not be found in the input '"+inputText(env)+"'")
}

// functionPathNotFound is the cause AWS gives for a path argument of an
// intrinsic function that selects nothing (public record: "The function
// 'States.Array($.optionalProperty)' had the following error: The JsonPath
// argument for the field '$.optionalProperty' could not be found in the
// input '{...}'").
func functionPathNotFound(env Env, call, path string) error {
	return failure.New(failure.Runtime, "The function '"+call+"' had the following error: The JsonPath argument for the field '"+path+"' could not be found in the input '"+inputText(env)+"'")
}
