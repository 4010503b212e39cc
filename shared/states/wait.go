package states

import (
	"time"

	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonpath"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
	"github.com/shipwave/shipwave/shared/states/payload"
)

var waitType = stateType{
	fields:        set("Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"),
	jsonataFields: set("Next", "End", "Seconds", "Timestamp", "Output", "Assign"),
	new:           func() stateKind { return &waitState{} },
}

// waitState is a Wait state: it waits for a number of seconds or until a
// timestamp, given by exactly one of its fields.
type waitState struct {
	leafKind
	by        waitBy
	seconds   int64                    // waitSeconds
	timestamp time.Time                // waitTimestamp
	path      *jsonpath.Path           // waitSecondsPath, waitTimestampPath
	expr      *payload.JSONataTemplate // waitSecondsExpr, waitTimestampExpr
}

// waitBy is the field a Wait state takes its time from.
type waitBy int

const (
	waitNone waitBy = iota // only in an invalid definition
	waitSecondsExpr
	waitTimestampExpr
	waitSeconds
	waitTimestamp
	waitSecondsPath
	waitTimestampPath
)

func (k *waitState) parse(p *parser, _ *state, o *jsonvalue.Object, loc string, jx exprs) {
	c := p.c
	n := 0
	var hasSeconds, hasTimestamp bool
	var secondsPath, timestampPath *jsonpath.Path
	if v, ok := intField(c, o, loc, "Seconds", 0, 99999999); ok {
		k.seconds, hasSeconds = v, true
		n++
	} else if _, present := o.Get("Seconds"); present {
		n++
	}
	if s, ok := stringField(c, o, loc, "Timestamp", false); ok {
		n++
		t, err := parseTimestamp(s)
		if err != nil {
			c.add(CodeSchema, loc+"/Timestamp", "The value of 'Timestamp' is not a valid RFC3339 timestamp")
		} else {
			k.timestamp, hasTimestamp = t, true
		}
	}
	if _, ok := o.Get("SecondsPath"); ok {
		n++
		secondsPath = p.refPath(o, loc, "SecondsPath")
	}
	if _, ok := o.Get("TimestampPath"); ok {
		n++
		timestampPath = p.refPath(o, loc, "TimestampPath")
	}
	jSeconds, jTimestamp := jx["Seconds"], jx["Timestamp"]
	if jSeconds != nil || jTimestamp != nil {
		n++
	}
	if n != 1 {
		c.add(CodeSchema, loc, "Exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' must be set")
	}
	switch {
	case jSeconds != nil:
		k.by, k.expr = waitSecondsExpr, jSeconds
	case jTimestamp != nil:
		k.by, k.expr = waitTimestampExpr, jTimestamp
	case hasSeconds:
		k.by = waitSeconds
	case hasTimestamp:
		k.by = waitTimestamp
	case secondsPath != nil:
		k.by, k.path = waitSecondsPath, secondsPath
	case timestampPath != nil:
		k.by, k.path = waitTimestampPath, timestampPath
	}
}

func (*waitState) waits() bool { return true }

func (k *waitState) run(sr *stateRun) (any, *state, *failure.Error) {
	out, ferr := k.wait(sr)
	if ferr != nil {
		return nil, nil, ferr
	}
	return out, sr.st.next, nil
}

func (k *waitState) wait(sr *stateRun) (any, *failure.Error) {
	flow := sr.st.flow
	eff, ferr := flow.input(sr)
	if ferr != nil {
		return nil, ferr
	}
	clock := sr.th.x.engine.clock
	now := clock.Now()
	var until time.Time
	env := sr.env(eff)
	switch k.by {
	case waitSecondsExpr:
		n, ferr := sr.jInt(k.expr, 0, "Seconds", 0)
		if ferr != nil {
			return nil, ferr
		}
		until = now.Add(time.Duration(n) * time.Second)
	case waitTimestampExpr:
		v, ferr := sr.jEval(k.expr, sr.bindings())
		if ferr != nil {
			return nil, ferr
		}
		s, _ := v.(string)
		t, perr := parseTimestamp(s)
		if perr != nil {
			return nil, sr.fail(&failure.Error{Name: failure.QueryEvaluationError,
				Cause: "The JSONata expression specified for the field 'Timestamp' returned a value that is not a valid timestamp."})
		}
		until = t
	case waitSeconds:
		until = now.Add(time.Duration(k.seconds) * time.Second)
	case waitTimestamp:
		until = k.timestamp
	case waitSecondsPath:
		v, err := env.Lookup(k.path)
		if err != nil {
			if err == errNullInput {
				return nil, sr.fail(err)
			}
			return nil, sr.fail(runtimeError("The SecondsPath parameter does not reference an input value: " + k.path.String()))
		}
		n, ferr := sr.waitSecondsValue(k.path, v)
		if ferr != nil {
			return nil, ferr
		}
		until = now.Add(time.Duration(n) * time.Second)
	case waitTimestampPath:
		v, err := env.Lookup(k.path)
		if err != nil {
			if err == errNullInput {
				return nil, sr.fail(err)
			}
			return nil, sr.fail(runtimeError("The TimestampPath parameter does not reference an input value: " + k.path.String()))
		}
		s, _ := v.(string)
		t, perr := parseTimestamp(s)
		if perr != nil {
			return nil, sr.fail(runtimeError("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: " +
				k.path.String() + " == " + waitValueText(v)))
		}
		until = t
	}
	if until.After(now) {
		if err := sr.th.sleepUntil(until); err != nil {
			return nil, errAborted
		}
	}
	return flow.finish(sr, produced{value: eff, from: fromInput})
}

// waitSecondsValue checks the value a Wait state's SecondsPath selected:
// Step Functions wants a non-negative long and names the path and the value
// when it is not one ("The SecondsPath parameter references a negative
// value: $.s == -1", "... cannot be parsed as a long value: $.s == 1.5").
func (sr *stateRun) waitSecondsValue(p *jsonpath.Path, v any) (int64, *failure.Error) {
	desc := p.String() + " == " + waitValueText(v)
	n, ok := v.(jsonvalue.Number)
	if !ok {
		return 0, sr.fail(runtimeError("The SecondsPath parameter cannot be parsed as a long value: " + desc))
	}
	i, err := n.Int64()
	if err != nil {
		return 0, sr.fail(runtimeError("The SecondsPath parameter cannot be parsed as a long value: " + desc))
	}
	if i < 0 {
		return 0, sr.fail(runtimeError("The SecondsPath parameter references a negative value: " + desc))
	}
	return i, nil
}

// waitValueText prints a value in a Wait state's cause: strings as they
// are, anything else as JSON.
func waitValueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := jsonvalue.Marshal(v)
	return string(b)
}
