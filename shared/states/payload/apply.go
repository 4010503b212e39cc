package payload

import (
	"errors"

	"github.com/shipwave/shipwave/shared/states/jsonpath"
)

type node struct{}

func compile(tmpl any) (*Template, error)   { return nil, errors.New("payload: not implemented") }
func (t *Template) static() bool            { return t.root != node{} }
func (t *Template) paths() []*jsonpath.Path { return nil }
func (t *Template) apply(env Env) (any, error) {
	return nil, errors.New("payload: not implemented")
}
