package intrinsic

import (
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
)

type arg struct{}

func parse(expr string) (*Call, error) {
	return nil, &SyntaxError{Expr: expr, Msg: "not implemented"}
}

func (c *Call) paths(dst []*jsonpath.Path) []*jsonpath.Path { _ = c.args; return dst }

func (c *Call) eval(env Env) (any, error) {
	return nil, failure.New(failure.IntrinsicFailure, "not implemented")
}
