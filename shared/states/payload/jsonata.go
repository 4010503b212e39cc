package payload

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

// IsJSONata reports whether s is a JSONata expression string: "{%" ... "%}".
func IsJSONata(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// JSONataTemplate is a compiled template of a state that uses QueryLanguage
// JSONata (Arguments, Output, Assign, ItemSelector, Items, Condition, ...):
// every string of the form "{% expr %}" is an expression, everything else a
// literal. It is safe for concurrent use.
type JSONataTemplate struct {
	field string
	root  jnode
}

type jnode struct {
	lit   any
	expr  *jsonata.Expr
	keys  []string
	kids  []jnode
	kind  nodeKind // nodeLiteral, nodeObject, nodeArray or nodeCall (expression)
	field string   // the field path used in causes, such as "Output/a/b"
}

// CompileJSONata compiles tmpl, the value of the state field named field
// (such as "Output" or "Arguments"; it names the field in failure causes).
// A malformed expression is a *CompileError naming its place.
func CompileJSONata(field string, tmpl any) (*JSONataTemplate, error) {
	root, err := compileJ(tmpl, field, "")
	if err != nil {
		return nil, err
	}
	return &JSONataTemplate{field: field, root: root}, nil
}

func compileJ(v any, field, ptr string) (jnode, error) {
	switch x := v.(type) {
	case string:
		if !IsJSONata(x) {
			return jnode{kind: nodeLiteral, lit: x}, nil
		}
		src := strings.TrimSpace(x[2 : len(x)-2])
		e, err := jsonata.Compile(src)
		if err != nil {
			msg := err.Error()
			var je *jsonata.Error
			if errors.As(err, &je) {
				msg = je.Message // AWS strips JSONata's code here
			}
			return jnode{}, &CompileError{
				Field:  ptr,
				Parent: parentPointer(ptr),
				Key:    field,
				Code:   "INVALID_JSONATA_EXPRESSION",
				Msg:    msg,
			}
		}
		if names := e.TopLevelReferences(); len(names) > 0 {
			// Step Functions evaluates with no context item and refuses
			// the definition (public record: "UNSUPPORTED_JSONATA_EXPRESSION:
			// Reference to 'phone' at the top level is not supported.").
			return jnode{}, &CompileError{
				Field:  ptr,
				Parent: parentPointer(ptr),
				Key:    field,
				Code:   "UNSUPPORTED_JSONATA_EXPRESSION",
				Msg:    "Reference to '" + names[0] + "' at the top level is not supported.",
			}
		}
		return jnode{kind: nodeCall, expr: e, field: field}, nil
	case *jsonvalue.Object:
		n := jnode{kind: nodeObject}
		dynamic := false
		for i := 0; i < x.Len(); i++ {
			k, e := x.At(i)
			kid, err := compileJ(e, field+"/"+k, ptr+"/"+escapePointer(k))
			if err != nil {
				return jnode{}, err
			}
			dynamic = dynamic || kid.kind != nodeLiteral
			n.keys = append(n.keys, k)
			n.kids = append(n.kids, kid)
		}
		if !dynamic {
			return jnode{kind: nodeLiteral, lit: x}, nil
		}
		return n, nil
	case []any:
		n := jnode{kind: nodeArray}
		dynamic := false
		for i, e := range x {
			kid, err := compileJ(e, field+"["+strconv.Itoa(i)+"]", ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return jnode{}, err
			}
			dynamic = dynamic || kid.kind != nodeLiteral
			n.kids = append(n.kids, kid)
		}
		if !dynamic {
			return jnode{kind: nodeLiteral, lit: x}, nil
		}
		return n, nil
	}
	return jnode{kind: nodeLiteral, lit: v}, nil
}

func parentPointer(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

// IsStatic reports whether the template holds no expressions.
func (t *JSONataTemplate) IsStatic() bool { return t.root.kind == nodeLiteral }

// Apply evaluates every expression with vars bound (names without "$"; the
// engine binds "states" to {input, context, ...} and the execution's
// variables) and returns the filled-in value. Failures are *failure.Error
// named States.QueryEvaluationError with Step Functions' causes: "The JSONata
// expression '<expr>' specified for the field '<field>' returned nothing
// (undefined)." or "... threw an error during evaluation. <CODE>: <message>".
func (t *JSONataTemplate) Apply(vars map[string]any, opts jsonata.Options) (any, error) {
	return t.root.apply(vars, opts)
}

// ApplyItems evaluates a Map state's Items field, which must produce an
// array. Anything else is a *failure.Error named States.QueryEvaluationError
// with Step Functions' cause: "The JSONata expression '<expr>' specified for
// the field 'Items' returned an unexpected result type. Expected 'array',
// but was '<type>' for value: <JSON>", or, for a function, "The JSONata
// expression '<expr>' for the field 'Items' returned an unsupported result
// type.".
func (t *JSONataTemplate) ApplyItems(vars map[string]any, opts jsonata.Options) ([]any, error) {
	if t.root.kind != nodeCall {
		v, err := t.root.apply(vars, opts)
		if err != nil {
			return nil, err
		}
		if arr, ok := v.([]any); ok {
			return arr, nil
		}
		return nil, itemsTypeError(t.field, v, "")
	}
	n := &t.root
	v, err := n.expr.Eval(jsonata.Undefined, vars, opts)
	if err = n.check(v, err); err != nil {
		return nil, err
	}
	if jsonata.IsFunction(v) {
		return nil, failure.New(failure.QueryEvaluationError, "The JSONata expression '"+n.expr.String()+"' for the field '"+t.field+"' returned an unsupported result type.")
	}
	if arr, ok := v.([]any); ok {
		return arr, nil
	}
	return nil, itemsTypeError(t.field, v, n.expr.String())
}

func itemsTypeError(field string, v any, expr string) error {
	typ := "object"
	switch v.(type) {
	case nil:
		typ = "null"
	case bool:
		typ = "boolean"
	case string:
		typ = "string"
	case json.Number:
		typ = "number"
	}
	b, _ := jsonvalue.Marshal(v)
	return failure.New(failure.QueryEvaluationError, "The JSONata expression '"+expr+"' specified for the field '"+field+"' returned an unexpected result type. Expected 'array', but was '"+typ+"' for value: "+string(b))
}

// check turns an expression's evaluation error, or an undefined result,
// into Step Functions' failure.
func (n *jnode) check(v any, err error) error {
	if err != nil {
		// AWS ends its sentence with ". CODE: message" for JSONata's
		// coded errors and with ": message" for its own limits.
		sep := ": "
		var je *jsonata.Error
		if errors.As(err, &je) && je.Code != "" {
			sep = ". "
		}
		return failure.New(failure.QueryEvaluationError, "The JSONata expression '"+n.expr.String()+"' specified for the field '"+n.field+"' threw an error during evaluation"+sep+err.Error())
	}
	if jsonata.IsUndefined(v) {
		return failure.New(failure.QueryEvaluationError, "The JSONata expression '"+n.expr.String()+"' specified for the field '"+n.field+"' returned nothing (undefined).")
	}
	return nil
}

func (n *jnode) apply(vars map[string]any, opts jsonata.Options) (any, error) {
	switch n.kind {
	case nodeLiteral:
		return n.lit, nil
	case nodeCall:
		// Step Functions evaluates with no context item.
		v, err := n.expr.Eval(jsonata.Undefined, vars, opts)
		if err = n.check(v, err); err != nil {
			return nil, err
		}
		if jsonata.IsFunction(v) {
			return "", nil
		}
		return v, nil
	case nodeObject:
		vals := make([]any, len(n.kids))
		for i := range n.kids {
			v, err := n.kids[i].apply(vars, opts)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return jsonvalue.FromMembers(n.keys, vals), nil
	case nodeArray:
		out := make([]any, len(n.kids))
		for i := range n.kids {
			v, err := n.kids[i].apply(vars, opts)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, nil
}
