package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/shipwave/shipwave/shared/states/failure"
)

// Config is a parsed and validated mock configuration file.
type Config struct {
	// File is the name the configuration was read from, used in messages.
	File string
	// StateMachines holds the configured state machines by name.
	StateMachines map[string]*StateMachine
	// Responses holds the mocked responses by name.
	Responses map[string]*Response
}

// StateMachine is the mock configuration of one state machine.
type StateMachine struct {
	Name      string
	TestCases map[string]*TestCase
}

// TestCase maps Task state names to the names of their mocked responses.
type TestCase struct {
	Name   string
	States map[string]string
}

// Response is a mocked response: what a mocked Task returns or throws on
// each invocation, counted from zero.
type Response struct {
	Name string
	// Steps are ordered by First and never overlap; gaps are allowed and
	// fail the execution when an invocation falls into one.
	Steps []Step
}

// Step is the outcome of the invocations First through Last (inclusive).
// Exactly one of Return and Throw is set.
type Step struct {
	First, Last int
	// Return is the task result as written in the file.
	Return json.RawMessage
	// Throw is the error the task fails with.
	Throw *failure.Error
}

// At returns the step answering the given zero-based invocation.
func (r *Response) At(invocation int) (Step, bool) {
	i := sort.Search(len(r.Steps), func(i int) bool { return r.Steps[i].Last >= invocation })
	if i < len(r.Steps) && r.Steps[i].First <= invocation {
		return r.Steps[i], true
	}
	return Step{}, false
}

// Error is a problem in a mock configuration file. Path is the location in
// the document, such as "MockedResponses.MyResponse.1-2.Throw.Error".
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

// Error returns "file:line: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Load reads and parses the mock configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mock config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates a mock configuration. file names the input in
// error messages. Problems are reported as *Error naming the line and the
// path of the offending field.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, p.errorf("", "unexpected data after the top-level object")
	}
	if err := p.check(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// TestCase returns the test case named testCase of the state machine named
// stateMachine, with every mocked response it refers to.
func (c *Config) TestCase(stateMachine, testCase string) (*TestCase, error) {
	sm, ok := c.StateMachines[stateMachine]
	if !ok {
		return nil, fmt.Errorf("%s: state machine %q is not in StateMachines (have %s)", c.File, stateMachine, names(c.StateMachines))
	}
	tc, ok := sm.TestCases[testCase]
	if !ok {
		return nil, fmt.Errorf("%s: test case %q is not in StateMachines.%s.TestCases (have %s)", c.File, testCase, stateMachine, names(sm.TestCases))
	}
	return tc, nil
}

func names[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, strconv.Quote(k))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

type parser struct {
	file string
	data []byte
	dec  *json.Decoder
}

// line returns the line of the decoder's current offset.
func (p *parser) line() int {
	off := int(p.dec.InputOffset())
	if off > len(p.data) {
		off = len(p.data)
	}
	return bytes.Count(p.data[:off], []byte("\n")) + 1
}

func (p *parser) errorf(path, format string, args ...any) error {
	return &Error{File: p.file, Line: p.line(), Path: path, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) syntax(path string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset)
		if off > len(p.data) {
			off = len(p.data)
		}
		return &Error{File: p.file, Line: bytes.Count(p.data[:off], []byte("\n")) + 1, Path: path, Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{File: p.file, Line: p.line(), Path: path, Msg: "invalid JSON: unexpected end of input"}
	}
	return &Error{File: p.file, Line: p.line(), Path: path, Msg: "invalid JSON: " + err.Error()}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kind(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", t)
}

// object reads an object, calling field for each key with the decoder
// positioned before the value. Duplicate keys are errors.
func (p *parser) object(path string, field func(key, path string) error) error {
	t, err := p.dec.Token()
	if err != nil {
		return p.syntax(path, err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return p.errorf(path, "must be an object, got %s", kind(t))
	}
	seen := map[string]bool{}
	for p.dec.More() {
		t, err := p.dec.Token()
		if err != nil {
			return p.syntax(path, err)
		}
		key := t.(string)
		if seen[key] {
			return p.errorf(join(path, key), "duplicate field")
		}
		seen[key] = true
		if err := field(key, join(path, key)); err != nil {
			return err
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return p.syntax(path, err)
	}
	return nil
}

func (p *parser) str(path string) (string, error) {
	t, err := p.dec.Token()
	if err != nil {
		return "", p.syntax(path, err)
	}
	s, ok := t.(string)
	if !ok {
		return "", p.errorf(path, "must be a string, got %s", kind(t))
	}
	return s, nil
}

func (p *parser) config() (*Config, error) {
	cfg := &Config{File: p.file, StateMachines: map[string]*StateMachine{}, Responses: map[string]*Response{}}
	err := p.object("", func(key, path string) error {
		switch key {
		case "StateMachines":
			return p.object(path, func(name, path string) error {
				sm, err := p.stateMachine(name, path)
				cfg.StateMachines[name] = sm
				return err
			})
		case "MockedResponses":
			return p.object(path, func(name, path string) error {
				r, err := p.response(name, path)
				cfg.Responses[name] = r
				return err
			})
		}
		return p.errorf(path, "unknown field (want StateMachines or MockedResponses)")
	})
	return cfg, err
}

func (p *parser) stateMachine(name, path string) (*StateMachine, error) {
	sm := &StateMachine{Name: name, TestCases: map[string]*TestCase{}}
	sawCases := false
	err := p.object(path, func(key, path string) error {
		if key != "TestCases" {
			return p.errorf(path, "unknown field (want TestCases)")
		}
		sawCases = true
		return p.object(path, func(tcName, path string) error {
			tc := &TestCase{Name: tcName, States: map[string]string{}}
			sm.TestCases[tcName] = tc
			return p.object(path, func(state, path string) error {
				resp, err := p.str(path)
				if err != nil {
					return err
				}
				if resp == "" {
					return p.errorf(path, "mocked response name must not be empty")
				}
				tc.States[state] = resp
				return nil
			})
		})
	})
	if err == nil && !sawCases {
		err = p.errorf(path, "missing field TestCases")
	}
	return sm, err
}

func (p *parser) response(name, path string) (*Response, error) {
	r := &Response{Name: name}
	err := p.object(path, func(key, path string) error {
		first, last, err := invocations(key)
		if err != nil {
			return p.errorf(path, "%v", err)
		}
		st := Step{First: first, Last: last}
		n := 0
		err = p.object(path, func(k, path string) error {
			n++
			switch k {
			case "Return":
				var raw json.RawMessage
				if err := p.dec.Decode(&raw); err != nil {
					return p.syntax(path, err)
				}
				var buf bytes.Buffer
				if err := json.Compact(&buf, raw); err != nil {
					return p.syntax(path, err)
				}
				st.Return = buf.Bytes()
				return nil
			case "Throw":
				th, err := p.throw(path)
				st.Throw = th
				return err
			}
			return p.errorf(path, "unknown field (want Return or Throw)")
		})
		if err != nil {
			return err
		}
		if n != 1 {
			return p.errorf(path, "must have exactly one of Return or Throw, has %d fields", n)
		}
		r.Steps = append(r.Steps, st)
		return nil
	})
	if err != nil {
		return r, err
	}
	sort.Slice(r.Steps, func(i, j int) bool { return r.Steps[i].First < r.Steps[j].First })
	for i := 1; i < len(r.Steps); i++ {
		a, b := r.Steps[i-1], r.Steps[i]
		if b.First <= a.Last {
			return r, &Error{File: p.file, Path: path, Msg: fmt.Sprintf("invocation keys %s and %s overlap", span(a), span(b))}
		}
	}
	return r, nil
}

func span(s Step) string {
	if s.First == s.Last {
		return strconv.Quote(strconv.Itoa(s.First))
	}
	return strconv.Quote(strconv.Itoa(s.First) + "-" + strconv.Itoa(s.Last))
}

func (p *parser) throw(path string) (*failure.Error, error) {
	th := &failure.Error{}
	sawError := false
	err := p.object(path, func(k, path string) error {
		switch k {
		case "Error":
			s, err := p.str(path)
			if err == nil && s == "" {
				err = p.errorf(path, "must not be empty")
			}
			th.Name, sawError = s, true
			return err
		case "Cause":
			s, err := p.str(path)
			th.Cause = s
			return err
		}
		return p.errorf(path, "unknown field (want Error or Cause)")
	})
	if err == nil && !sawError {
		err = p.errorf(path, "missing field Error")
	}
	return th, err
}

// invocations parses an invocation key: "3" or an inclusive range "1-2".
func invocations(key string) (first, last int, err error) {
	a, b, isRange := strings.Cut(key, "-")
	first, err = index(a)
	if err != nil {
		return 0, 0, fmt.Errorf("invocation key %q: want a number such as \"0\" or a range such as \"1-2\"", key)
	}
	last = first
	if isRange {
		last, err = index(b)
		if err != nil {
			return 0, 0, fmt.Errorf("invocation key %q: want a number such as \"0\" or a range such as \"1-2\"", key)
		}
		if last < first {
			return 0, 0, fmt.Errorf("invocation key %q: range ends before it starts", key)
		}
	}
	return first, last, nil
}

func index(s string) (int, error) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	return strconv.Atoi(s)
}

// check verifies that every test case names a defined mocked response.
func (p *parser) check(cfg *Config) error {
	for _, smName := range sortedKeys(cfg.StateMachines) {
		sm := cfg.StateMachines[smName]
		for _, tcName := range sortedKeys(sm.TestCases) {
			tc := sm.TestCases[tcName]
			for _, state := range sortedKeys(tc.States) {
				resp := tc.States[state]
				if _, ok := cfg.Responses[resp]; !ok {
					path := "StateMachines." + smName + ".TestCases." + tcName + "." + state
					return &Error{File: p.file, Line: p.keyLine(resp), Path: path, Msg: fmt.Sprintf("mocked response %q is not defined in MockedResponses", resp)}
				}
			}
		}
	}
	return nil
}

// keyLine returns the line of the first occurrence of the quoted string s,
// or 0.
func (p *parser) keyLine(s string) int {
	q, _ := json.Marshal(s)
	i := bytes.Index(p.data, q)
	if i < 0 {
		return 0
	}
	return bytes.Count(p.data[:i], []byte("\n")) + 1
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
