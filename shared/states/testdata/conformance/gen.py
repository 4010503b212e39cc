#!/usr/bin/env python3
"""Writes the conformance cases in this directory.

Each case is <name>/{definition.asl.json,input.json,expected.json[,mock.json]}.
expected.json holds status, output, error, cause and the source that
justifies the expected values. Where no public record shows the exact cause
text, "cause" is left out and is not compared; "causeContains" then holds
the part of it that is on record.
Edit the CASES below and run `python3 gen.py` to rewrite every case.
"""
import hashlib, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))

SPEC = "https://states-language.net/spec.html"
DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/"
PASS_DOC = DOCS + "state-pass.html"
CHOICE_DOC = DOCS + "state-choice.html"
WAIT_DOC = DOCS + "state-wait.html"
FAIL_DOC = DOCS + "state-fail.html"
MAP_DOC = DOCS + "state-map-inline.html"
PARALLEL_DOC = DOCS + "state-parallel.html"
INTRINSIC_DOC = DOCS + "intrinsic-functions.html"
IO_DOC = DOCS + "concepts-input-output-filtering.html"
RESULTPATH_DOC = DOCS + "input-output-resultpath.html"
INPUTPATH_DOC = DOCS + "input-output-inputpath-params.html"
ERR_DOC = DOCS + "concepts-error-handling.html"
CTX_DOC = DOCS + "input-output-contextobject.html"
VAR_DOC = DOCS + "workflow-variables.html"
MOCK_DOC = DOCS + "sfn-local-mock-cfg-file.html"

CASES = []


def case(name, definition, inp, source, status="SUCCEEDED", output=None,
         error="", cause="", mock=None, check_cause=True, cause_contains=None):
    CASES.append(dict(name=name, definition=definition, input=inp, source=source,
                      status=status, output=output, error=error, cause=cause,
                      mock=mock, check_cause=check_cause and cause_contains is None,
                      cause_contains=cause_contains))


def sm(states, start=None, **extra):
    d = {"StartAt": start or next(iter(states)), "States": states}
    d.update(extra)
    return d


def passthru(name, **fields):
    st = {"Type": "Pass"}
    st.update(fields)
    if "Next" not in st:
        st["End"] = True
    return {name: st}


def single_pass(params, inp, output, source, name="State_0"):
    case_name = None
    return sm({name: {"Type": "Pass", "Parameters": params, "End": True}})


def prefix(state, event_id):
    return ("An error occurred while executing the state '%s' (entered at the event id #%d). "
            % (state, event_id))


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def mock_of(states_to_responses):
    """Mock config with one state machine "Conformance", test case "Default"."""
    tc, responses = {}, {}
    for state, steps in states_to_responses.items():
        rname = "Mock" + state.replace(" ", "")
        tc[state] = rname
        responses[rname] = steps
    return {"StateMachines": {"Conformance": {"TestCases": {"Default": tc}}},
            "MockedResponses": responses}


LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"

# ---------------------------------------------------------------- Pass + paths
case("pass-identity", sm(passthru("P")), {"a": 1, "b": [1, 2], "c": {"d": None}},
     PASS_DOC + " (a Pass state with no fields passes its input to its output)",
     output={"a": 1, "b": [1, 2], "c": {"d": None}})
case("pass-result-resultpath", sm(passthru("No-op", Result={"x-datum": 0.381018, "y-datum": 622.2269926397355}, ResultPath="$.coords")),
     {"georefOf": "Home"}, PASS_DOC + " (the No-op example: Result merged at $.coords)",
     output={"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}})
case("pass-result-replaces-input", sm(passthru("P", Result="Hello")), {"a": 1},
     RESULTPATH_DOC + " (ResultPath defaults to $: the result replaces the input)", output="Hello")
case("pass-resultpath-null", sm(passthru("P", Result={"x": 1}, ResultPath=None)), {"keep": True},
     RESULTPATH_DOC + " (ResultPath null discards the result and keeps the input)", output={"keep": True})
case("pass-resultpath-overwrite", sm(passthru("P", Result="Hello, AWS Step Functions!", ResultPath="$.who")),
     {"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "AWS Step Functions"},
     RESULTPATH_DOC + " (Use ResultPath to update a node in the input with the result)",
     output={"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "Hello, AWS Step Functions!"})
case("pass-resultpath-creates-objects", sm(passthru("P", Result=7, ResultPath="$.a.b.c")), {"x": 0},
     SPEC + " (ResultPath: a reference path may name fields that do not exist yet; they are created)",
     output={"x": 0, "a": {"b": {"c": 7}}})
case("pass-resultpath-appends-to-existing-object", sm(passthru("P", Result="v", ResultPath="$.a.z")), {"a": {"y": 1}},
     RESULTPATH_DOC + " (ResultPath adds the result to the existing node, keeping its other fields in order)",
     output={"a": {"y": 1, "z": "v"}})
case("pass-resultpath-not-object", sm(passthru("P", Result="v", ResultPath="$.a.b")), {"a": "text"},
     ERR_DOC + " (States.ResultPathMatchFailure: ResultPath cannot be applied to the input the state received)",
     status="FAILED", error="States.ResultPathMatchFailure", check_cause=False)
case("inputpath-select", sm(passthru("P", InputPath="$.dataset2")),
     {"comment": "Example for InputPath.", "dataset1": {"val1": 1, "val2": 2, "val3": 3}, "dataset2": {"val1": "a", "val2": "b", "val3": "c"}},
     INPUTPATH_DOC + " (InputPath $.dataset2 example)", output={"val1": "a", "val2": "b", "val3": "c"})
case("inputpath-null", sm(passthru("P", InputPath=None)), {"a": 1},
     IO_DOC + " (InputPath null gives the state an empty object {})", output={})
case("outputpath-null", sm(passthru("P", OutputPath=None)), {"a": 1},
     IO_DOC + " (OutputPath null sends an empty object {} to the next state)", output={})
case("outputpath-select", sm(passthru("P", Result={"x": {"y": [1, 2]}}, ResultPath="$.r", OutputPath="$.r.x")), {"a": 1},
     IO_DOC + " (OutputPath selects a portion of the state output)", output={"y": [1, 2]})
case("inputpath-outputpath-resultpath", sm(passthru("P", InputPath="$.lambda", Result="42", ResultPath="$.data.lambdaresult", OutputPath="$.data")),
     {"comment": "An input comment.", "data": {"val1": 23, "val2": 17}, "extra": "foo", "lambda": {"who": "AWS Step Functions"}},
     IO_DOC + " (the InputPath/ResultPath/OutputPath example: ResultPath combines the result with the state's raw input, not the InputPath selection)",
     output={"val1": 23, "val2": 17, "lambdaresult": "42"})
case("inputpath-missing", sm(passthru("P", InputPath="$.missing")), {"a": 1},
     "Public report of a real execution failure quoting the cause \"An error occurred while executing the state 'AggregateIdentityResults' (entered at the event id #13). Invalid path '$.Payload' : No results for path: $['Payload']\" (States.Runtime)",
     status="FAILED", error="States.Runtime", cause=prefix("P", 2) + "Invalid path '$.missing' : No results for path: $['missing']")
case("outputpath-missing", sm(passthru("P", OutputPath="$.missing")), {"a": 1},
     "Public Step Functions execution failure reports (States.Runtime 'Invalid path ... : No results for path: ...' for an OutputPath that selects nothing)",
     status="FAILED", error="States.Runtime", cause=prefix("P", 2) + "Invalid path '$.missing' : No results for path: $['missing']")
case("outputpath-missing-second-state", sm({**passthru("First", Next="Second"), **passthru("Second", OutputPath="$.nope")}), {"a": 1},
     "Event ids: ExecutionStarted #1, First entered #2 exited #3, Second entered #4 (GetExecutionHistory numbering)",
     status="FAILED", error="States.Runtime", cause=prefix("Second", 4) + "Invalid path '$.nope' : No results for path: $['nope']")

# ---------------------------------------------------------------- Parameters
case("parameters-static-and-paths", sm(passthru("P", Parameters={"comment": "Selecting what I care about.", "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}})),
     {"comment": "Example for Parameters.", "product": {"details": {"color": "blue", "size": "small", "material": "cotton"}, "availability": "in stock", "sku": "2317", "cost": "$23"}},
     INPUTPATH_DOC + " (Parameters example)",
     output={"comment": "Selecting what I care about.", "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}})
case("parameters-template-order", sm(passthru("P", Parameters={"z": 1, "a.$": "$.a", "m": {"y": 2, "b.$": "$.b"}})), {"b": "B", "a": "A"},
     INPUTPATH_DOC + " (Parameters output follows the template's field order)",
     output={"z": 1, "a": "A", "m": {"y": 2, "b": "B"}})
case("parameters-whole-input", sm(passthru("P", Parameters={"all.$": "$"})), {"x": [1, {"y": True}]},
     INPUTPATH_DOC + " ($ selects the whole effective input)", output={"all": {"x": [1, {"y": True}]}})
case("parameters-array-of-templates", sm(passthru("P", Parameters={"list": [{"v.$": "$.a"}, "lit", 3]})), {"a": 5},
     SPEC + " (Payload templates: nested objects inside arrays are processed too)", output={"list": [{"v": 5}, "lit", 3]})
case("parameters-missing-path", sm(passthru("P", Parameters={"x.$": "$.x"})), {"a": 1},
     "AWS Step Functions cause text for a Parameters path that selects nothing (quoted in the Shipwave states brief from real executions)",
     status="FAILED", error="States.Runtime",
     cause=prefix("P", 2) + "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{\"a\":1}'")
case("parameters-missing-nested", sm(passthru("P", Parameters={"outer": {"inner.$": "$.a.b"}})), {"a": {"c": 1}},
     "AWS Step Functions cause text for a Parameters path that selects nothing: names the field as written",
     status="FAILED", error="States.Runtime",
     cause=prefix("P", 2) + "The JSONPath '$.a.b' specified for the field 'inner.$' could not be found in the input '{\"a\":{\"c\":1}}'")
case("parameters-runtime-not-caught", sm({"T": {"Type": "Task", "Resource": LAMBDA_ARN, "Parameters": {"x.$": "$.x"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True}, **passthru("Caught", Result="caught")}),
     {"a": 1}, ERR_DOC + " (States.Runtime errors are not retriable and States.ALL does not catch them)",
     status="FAILED", error="States.Runtime",
     cause=prefix("T", 2) + "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{\"a\":1}'")
case("parameters-no-html-escaping", sm(passthru("P", Parameters={"html.$": "$.h"})), {"h": "<b>&amp;</b>"},
     "Step Functions returns JSON text without HTML escaping (observed outputs keep '<', '>' and '&')", output={"html": "<b>&amp;</b>"})

# ---------------------------------------------------------------- JSONPath
def path_case(name, path, inp, out, src=SPEC + " (Reference Paths and Paths, Jayway JSONPath semantics)"):
    case(name, sm(passthru("P", Parameters={"r.$": path})), inp, src, output={"r": out})

BOOKS = {"store": {"book": [{"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99}],
                   "bicycle": {"color": "red", "price": 19.95}}}
JAYWAY = "https://github.com/json-path/JsonPath (README examples; Step Functions uses Jayway JSONPath for Paths)"
path_case("jsonpath-index", "$.a[0]", {"a": ["x", "y"]}, "x")
path_case("jsonpath-bracket-name", "$['a b']", {"a b": 1}, 1)
path_case("jsonpath-last-slice", "$.a[-1:]", {"a": [1, 2, 3]}, [3], DOCS + "amazon-states-language-paths.html ($.a[-1:] is allowed in Paths)")
path_case("jsonpath-slice", "$.a[0:2]", {"a": [1, 2, 3]}, [1, 2])
path_case("jsonpath-wildcard-field", "$.store.book[*].author", BOOKS, ["Nigel Rees", "Evelyn Waugh", "Herman Melville"], JAYWAY)
path_case("jsonpath-deep-scan", "$..author", BOOKS, ["Nigel Rees", "Evelyn Waugh", "Herman Melville"], JAYWAY)
path_case("jsonpath-filter-lt", "$.store.book[?(@.price < 10)].title", BOOKS, ["Sayings of the Century", "Moby Dick"], JAYWAY)
path_case("jsonpath-filter-exists", "$.store.book[?(@.isbn)].title", BOOKS, ["Moby Dick"], JAYWAY)
path_case("jsonpath-filter-eq-string", "$.store.book[?(@.category == 'fiction')].price", BOOKS, [12.99, 8.99], JAYWAY)
path_case("jsonpath-union-index", "$.a[0,2]", {"a": ["p", "q", "r"]}, ["p", "r"], JAYWAY)
path_case("jsonpath-nested-object", "$.store.bicycle", BOOKS, {"color": "red", "price": 19.95}, JAYWAY)

# ---------------------------------------------------------------- Choice
def choice_case(name, rule, inp, matched, src=CHOICE_DOC):
    d = sm({"C": {"Type": "Choice", "Choices": [dict(rule, Next="Yes")], "Default": "No"},
            **passthru("Yes", Result="matched"), **passthru("No", Result="default")})
    case(name, d, inp, src, output="matched" if matched else "default")

choice_case("choice-string-equals", {"Variable": "$.type", "StringEquals": "Private"}, {"type": "Private"}, True)
choice_case("choice-string-equals-miss", {"Variable": "$.type", "StringEquals": "Private"}, {"type": "Public"}, False)
choice_case("choice-string-equals-path", {"Variable": "$.a", "StringEqualsPath": "$.b"}, {"a": "x", "b": "x"}, True)
choice_case("choice-string-less-than", {"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True)
choice_case("choice-string-greater-than-equals", {"Variable": "$.s", "StringGreaterThanEquals": "b"}, {"s": "b"}, True)
choice_case("choice-string-on-number-is-false", {"Variable": "$.v", "StringEquals": "1"}, {"v": 1}, False,
            CHOICE_DOC + " (a comparison against a value of another type is false, not an error)")
choice_case("choice-numeric-equals", {"Variable": "$.value", "NumericEquals": 0}, {"value": 0}, True)
choice_case("choice-numeric-equals-float", {"Variable": "$.value", "NumericEquals": 1}, {"value": 1.0}, True)
choice_case("choice-numeric-less-than", {"Variable": "$.value", "NumericLessThan": 20}, {"value": 19.5}, True)
choice_case("choice-numeric-greater-than-path", {"Variable": "$.a", "NumericGreaterThanPath": "$.b"}, {"a": 3, "b": 2}, True)
choice_case("choice-numeric-less-than-equals", {"Variable": "$.a", "NumericLessThanEquals": 2}, {"a": 2}, True)
choice_case("choice-numeric-on-string-is-false", {"Variable": "$.a", "NumericEquals": 1}, {"a": "1"}, False,
            CHOICE_DOC + " (a comparison against a value of another type is false, not an error)")
choice_case("choice-boolean-equals", {"Variable": "$.b", "BooleanEquals": True}, {"b": True}, True)
choice_case("choice-boolean-equals-path", {"Variable": "$.b", "BooleanEqualsPath": "$.c"}, {"b": False, "c": False}, True)
choice_case("choice-timestamp-equals", {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}, {"t": "2016-03-14T01:59:00Z"}, True)
choice_case("choice-timestamp-less-than", {"Variable": "$.t", "TimestampLessThan": "2016-03-14T01:59:00Z"}, {"t": "2016-03-14T01:58:59Z"}, True)
choice_case("choice-timestamp-greater-than-path", {"Variable": "$.t", "TimestampGreaterThanPath": "$.u"}, {"t": "2020-01-02T00:00:00Z", "u": "2020-01-01T00:00:00Z"}, True)
choice_case("choice-timestamp-offset", {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}, {"t": "2016-03-14T02:59:00+01:00"}, True,
            CHOICE_DOC + " (timestamps are compared as instants, RFC3339 with offsets)")
choice_case("choice-is-null", {"Variable": "$.v", "IsNull": True}, {"v": None}, True)
choice_case("choice-is-present-false", {"Variable": "$.missing", "IsPresent": False}, {"v": 1}, True)
choice_case("choice-is-present-true", {"Variable": "$.v", "IsPresent": True}, {"v": None}, True)
choice_case("choice-is-numeric", {"Variable": "$.v", "IsNumeric": True}, {"v": 3.5}, True)
choice_case("choice-is-numeric-string", {"Variable": "$.v", "IsNumeric": True}, {"v": "3"}, False)
choice_case("choice-is-string", {"Variable": "$.v", "IsString": True}, {"v": "s"}, True)
choice_case("choice-is-boolean", {"Variable": "$.v", "IsBoolean": False}, {"v": 1}, True)
choice_case("choice-is-timestamp", {"Variable": "$.v", "IsTimestamp": True}, {"v": "2016-03-14T01:59:00Z"}, True)
choice_case("choice-is-timestamp-not", {"Variable": "$.v", "IsTimestamp": True}, {"v": "yesterday"}, False)
choice_case("choice-string-matches", {"Variable": "$.foo", "StringMatches": "log-*.txt"}, {"foo": "log-2016-03-14.txt"}, True,
            CHOICE_DOC + " (StringMatches example log-*.txt)")
choice_case("choice-string-matches-miss", {"Variable": "$.foo", "StringMatches": "log-*.txt"}, {"foo": "log-1.csv"}, False)
choice_case("choice-string-matches-escaped-star", {"Variable": "$.foo", "StringMatches": "a\\*b"}, {"foo": "a*b"}, True,
            CHOICE_DOC + " (StringMatches: \\* matches a literal asterisk)")
choice_case("choice-string-matches-escaped-star-miss", {"Variable": "$.foo", "StringMatches": "a\\*b"}, {"foo": "axxb"}, False,
            CHOICE_DOC + " (StringMatches: \\* matches a literal asterisk)")
choice_case("choice-and", {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 25}, True)
choice_case("choice-and-false", {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 30}, False)
choice_case("choice-or", {"Or": [{"Variable": "$.a", "StringEquals": "x"}, {"Variable": "$.a", "StringEquals": "y"}]}, {"a": "y"}, True)
choice_case("choice-not", {"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, True)
choice_case("choice-nested-and-or-not", {"And": [{"Not": {"Variable": "$.a", "IsNull": True}}, {"Or": [{"Variable": "$.b", "BooleanEquals": True}, {"Variable": "$.c", "NumericEquals": 1}]}]},
            {"a": 1, "b": False, "c": 1}, True)
case("choice-first-match-wins", sm({"C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericGreaterThan": 1, "Next": "A"}, {"Variable": "$.v", "NumericGreaterThan": 5, "Next": "B"}], "Default": "D"},
                                    **passthru("A", Result="A"), **passthru("B", Result="B"), **passthru("D", Result="D")}),
     {"v": 10}, CHOICE_DOC + " (Choice rules are evaluated in order; the first match wins)", output="A")
case("choice-output-path", sm({"C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.keep", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "End"}]}, **passthru("End")}),
     {"in": {"v": 1, "keep": {"k": True}}}, CHOICE_DOC + " (Choice supports InputPath and OutputPath)", output={"k": True})
case("choice-no-match", sm({"C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "End"}]}, **passthru("End")}),
     {"v": 2}, "Public records of real executions: with no matching rule and no Default, AWS fails with States.Runtime and the cause "
     "'Failed to transition out of the state. The state does not point to a next state.' (an emulator's constant 'AWS wording, verified against us-east-1', "
     "and an AWS-run conformance suite asserting the cause contains 'state does not point to a next state'); the spec's States.NoChoiceMatched is not what AWS raises",
     status="FAILED", error="States.Runtime", cause_contains="Failed to transition out of the state. The state does not point to a next state.")
case("choice-missing-variable", sm({"C": {"Type": "Choice", "Choices": [{"Variable": "$.processing_type", "StringEquals": "dataset", "Next": "End"}], "Default": "End"}, **passthru("End")}),
     {"is_reanalysis": True}, "Public record of a real execution failure: \"An error occurred while executing the state 'IsDataset' (entered at the event id #2). Invalid path '$.processing_type': The choice state's condition path references an invalid value.\"",
     status="FAILED", error="States.Runtime", cause=prefix("C", 2) + "Invalid path '$.processing_type': The choice state's condition path references an invalid value.")

# ---------------------------------------------------------------- Wait / Succeed / Fail
case("wait-seconds-hour", sm({"W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"}, **passthru("Done")}), {"a": 1},
     WAIT_DOC + " (a Wait state passes its input through)", output={"a": 1})
case("wait-seconds-path", sm({"W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Done"}, **passthru("Done")}), {"delay": 10},
     WAIT_DOC + " (SecondsPath)", output={"delay": 10})
case("wait-timestamp", sm({"W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Done"}, **passthru("Done")}), {"a": 1},
     WAIT_DOC + " (a Timestamp in the past completes at once)", output={"a": 1})
case("wait-timestamp-path", sm({"W": {"Type": "Wait", "TimestampPath": "$.expirydate", "OutputPath": "$.keep", "Next": "Done"}, **passthru("Done")}),
     {"expirydate": "2016-03-14T01:59:00Z", "keep": 1}, WAIT_DOC + " (TimestampPath, OutputPath)", output=1)
case("succeed-passes-input", sm({"S": {"Type": "Succeed"}}), {"a": [1]}, DOCS + "state-succeed.html", output={"a": [1]})
case("succeed-outputpath", sm({"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$[0]"}}), {"a": [7, 8]},
     DOCS + "state-succeed.html (Succeed supports InputPath and OutputPath)", output=7)
case("fail-error-cause", sm({"F": {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}}), {"a": 1},
     FAIL_DOC + " (Fail state example)", status="FAILED", error="ErrorA", cause="Kaiju attack")
case("fail-error-only", sm({"F": {"Type": "Fail", "Error": "NoCause"}}), {},
     FAIL_DOC + " (Cause is optional)", status="FAILED", error="NoCause", cause="")
case("fail-error-path", sm({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}), {"e": "CustomError", "c": "from the input"},
     FAIL_DOC + " (ErrorPath and CausePath)", status="FAILED", error="CustomError", cause="from the input")
case("fail-cause-path-intrinsic", sm({"F": {"Type": "Fail", "Error": "Failed", "CausePath": "States.Format('this is the cause for {}', $.id)"}}), {"id": 42},
     FAIL_DOC + " (CausePath accepts an intrinsic function)", status="FAILED", error="Failed", cause="this is the cause for 42")
case("fail-after-pass", sm({**passthru("P", Result={"x": 1}, Next="F"), "F": {"Type": "Fail", "Error": "E", "Cause": "C"}}), {},
     FAIL_DOC, status="FAILED", error="E", cause="C")

# ---------------------------------------------------------------- Tasks (mocked)
def task(resource=LAMBDA_ARN, **fields):
    st = {"Type": "Task", "Resource": resource}
    st.update(fields)
    if "Next" not in st:
        st["End"] = True
    return st

case("task-result-resultpath", sm({"T": task(ResultPath="$.taskresult")}),
     {"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "AWS Step Functions"},
     RESULTPATH_DOC + " (Lambda result 'Hello, AWS Step Functions!' added at $.taskresult)",
     output={"comment": "This is a test of the input and output of a Task state.", "details": "Default example", "who": "AWS Step Functions", "taskresult": "Hello, AWS Step Functions!"},
     mock=mock_of({"T": {"0": {"Return": "Hello, AWS Step Functions!"}}}))
case("task-lambda-invoke-result-selector", sm({"T": task(LAMBDA_INVOKE, Parameters={"FunctionName": "HelloFunction", "Payload.$": "$"}, ResultSelector={"body.$": "$.Payload.body", "code.$": "$.StatusCode"})}),
     {"a": 1}, MOCK_DOC + " (mocked lambda:invoke envelope) and " + DOCS + "input-output-inputpath-params.html (ResultSelector)",
     output={"body": "Hello from Lambda!", "code": 200},
     mock=mock_of({"T": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}))
case("task-output-path-payload", sm({"T": task(LAMBDA_INVOKE, Parameters={"FunctionName": "HelloFunction", "Payload.$": "$"}, OutputPath="$.Payload")}),
     {"a": 1}, DOCS + "connect-lambda.html (OutputPath $.Payload keeps the function's response)",
     output={"StatusCode": 200, "body": "Hello from Lambda!"},
     mock=mock_of({"T": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}))
case("task-result-selector-missing", sm({"T": task(LAMBDA_INVOKE, Parameters={"FunctionName": "F"}, ResultSelector={"x.$": "$.Payload.nope"})}),
     {}, "AWS Step Functions cause text for a payload template path that selects nothing",
     status="FAILED", error="States.Runtime",
     cause=prefix("T", 2) + "The JSONPath '$.Payload.nope' specified for the field 'x.$' could not be found in the input '{\"StatusCode\":200,\"Payload\":{\"ok\":true}}'",
     mock=mock_of({"T": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": True}}}}}))
case("task-throw-fails-execution", sm({"T": task()}), {},
     MOCK_DOC + " (Throw: the mocked Task fails with Error and Cause)", status="FAILED", error="Lambda.ResourceNotReadyException", cause="Lambda resource is not ready.",
     mock=mock_of({"T": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}}}}))
case("task-retry-then-success", sm({"T": task(Retry=[{"ErrorEquals": ["Lambda.TimeoutException"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}])}), {},
     MOCK_DOC + " (MockedLambdaRetry: '0' and '1-2' throw, '3' returns)", output={"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                         "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                         "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}))
case("task-retry-exhausted", sm({"T": task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}])}), {},
     ERR_DOC + " (MaxAttempts 2: three invocations in all, then the error fails the state)",
     status="FAILED", error="Lambda.TimeoutException", cause="Lambda timed out.",
     mock=mock_of({"T": {"0-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}}, "3": {"Return": "never"}}}))
case("task-retry-max-attempts-zero", sm({"T": task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}])}), {},
     ERR_DOC + " (MaxAttempts 0: the error is never retried)",
     status="FAILED", error="E", cause="first",
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "first"}}, "1": {"Return": "never"}}}))
case("task-retry-not-matching", sm({"T": task(Retry=[{"ErrorEquals": ["Other"], "MaxAttempts": 3}])}), {},
     ERR_DOC + " (a retrier only applies to the errors it names)",
     status="FAILED", error="E", cause="c",
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1": {"Return": "never"}}}))
case("task-retry-first-matching-retrier", sm({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}])}), {},
     ERR_DOC + " (only the first retrier whose ErrorEquals matches is used; its MaxAttempts 1 allows one retry)",
     status="FAILED", error="E", cause="again",
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "first"}}, "1": {"Throw": {"Error": "E", "Cause": "again"}}, "2": {"Return": "never"}}}))
case("task-retry-task-failed", sm({"T": task(Retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}])}), {},
     ERR_DOC + " (States.TaskFailed matches any error a task raises, except States.Timeout)",
     output="ok", mock=mock_of({"T": {"0": {"Throw": {"Error": "Custom.Error", "Cause": "c"}}, "1": {"Return": "ok"}}}))
case("task-catch-result-path", sm({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error-info", "Next": "Handler"}]), **passthru("Handler")}),
     {"foo": "bar"}, ERR_DOC + " (Catch with ResultPath '$.error-info' keeps the input and adds the error output)",
     output={"foo": "bar", "error-info": {"Error": "CustomError", "Cause": "This is a custom error!"}},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "CustomError", "Cause": "This is a custom error!"}}}}))
case("task-catch-default-result-path", sm({"T": task(Catch=[{"ErrorEquals": ["CustomError"], "Next": "Handler"}]), **passthru("Handler")}),
     {"foo": "bar"}, ERR_DOC + " (without ResultPath the error output {Error, Cause} replaces the input)",
     output={"Error": "CustomError", "Cause": "This is a custom error!"},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "CustomError", "Cause": "This is a custom error!"}}}}))
case("task-catch-order", sm({"T": task(Catch=[{"ErrorEquals": ["Other"], "Next": "A"}, {"ErrorEquals": ["States.ALL"], "Next": "B"}]),
                             **passthru("A", Result="A"), **passthru("B", Result="B")}),
     {}, ERR_DOC + " (catchers are tried in order; States.ALL matches any error)", output="B",
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "c"}}}}))
case("task-retry-then-catch", sm({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}], Catch=[{"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "H"}]), **passthru("H")}),
     {"in": 1}, ERR_DOC + " (Catch applies once retries are exhausted)", output={"in": 1, "err": {"Error": "E", "Cause": "second"}},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "first"}}, "1": {"Throw": {"Error": "E", "Cause": "second"}}}}))
case("task-catch-resultpath-null", sm({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "H"}]), **passthru("H")}),
     {"in": 1}, ERR_DOC + " (Catch ResultPath null keeps the original input)", output={"in": 1},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "c"}}}}))
case("task-mock-two-states", sm({"A": task(ResultPath="$.a", Next="B"), "B": task(ResultPath="$.b")}), {},
     MOCK_DOC + " (a test case maps each Task state to its own mocked response)", output={"a": {"n": 1}, "b": {"n": 2}},
     mock=mock_of({"A": {"0": {"Return": {"n": 1}}}, "B": {"0": {"Return": {"n": 2}}}}))
case("task-mock-invocations-counted-per-state", sm({"A": task(ResultPath="$.first", Next="Again"), "Again": {"Type": "Choice", "Choices": [{"Variable": "$.second", "IsPresent": False, "Next": "A2"}], "Default": "Done"},
                                                    "A2": {"Type": "Pass", "InputPath": "$", "Parameters": {"first.$": "$.first", "second": True}, "Next": "A"}, **passthru("Done")}),
     {}, MOCK_DOC + " (invocations of a mocked state are counted across the execution: '0' then '1')", output={"first": "one", "second": True},
     mock=mock_of({"A": {"0": {"Return": "zero"}, "1": {"Return": "one"}}}))
case("task-mock-undefined-invocation", sm({"T": task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}])}), {},
     MOCK_DOC + " ('If you do not specify a mocked response [for an invocation], the state machine execution will fail')",
     status="FAILED", error="States.Runtime", check_cause=False,
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "c"}}}}))

# ---------------------------------------------------------------- Parallel
case("parallel-outputs-array", sm({"P": {"Type": "Parallel", "Branches": [sm(passthru("A", Result="a")), sm(passthru("B", Parameters={"in.$": "$.x"}))], "End": True}}),
     {"x": 1}, PARALLEL_DOC + " (the output is an array with one element per branch, in branch order)", output=["a", {"in": 1}])
case("parallel-result-path", sm({"P": {"Type": "Parallel", "Branches": [sm(passthru("A", Result=1)), sm(passthru("B", Result=2))], "ResultPath": "$.results", "End": True}}),
     {"x": 1}, PARALLEL_DOC + " (ResultPath places the branch outputs in the input)", output={"x": 1, "results": [1, 2]})
case("parallel-result-selector", sm({"P": {"Type": "Parallel", "Branches": [sm(passthru("A", Result={"v": 1})), sm(passthru("B", Result={"v": 2}))], "ResultSelector": {"first.$": "$[0].v", "second.$": "$[1].v"}, "End": True}}),
     {}, PARALLEL_DOC + " (ResultSelector over the array of branch outputs)", output={"first": 1, "second": 2})
case("parallel-parameters", sm({"P": {"Type": "Parallel", "Parameters": {"n.$": "$.n", "k": "v"}, "Branches": [sm(passthru("A")), sm(passthru("B", InputPath="$.n"))], "End": True}}),
     {"n": 5, "drop": True}, PARALLEL_DOC + " (Parameters build each branch's input)", output=[{"n": 5, "k": "v"}, 5])
case("parallel-branch-fails", sm({"P": {"Type": "Parallel", "Branches": [sm(passthru("A")), sm({"F": {"Type": "Fail", "Error": "BranchError", "Cause": "branch two failed"}})], "End": True}}),
     {}, PARALLEL_DOC + " (if any branch fails, the Parallel state fails with that branch's error)", status="FAILED", error="BranchError", cause="branch two failed")
case("parallel-catch", sm({"P": {"Type": "Parallel", "Branches": [sm({"F": {"Type": "Fail", "Error": "BranchError", "Cause": "why"}})], "Catch": [{"ErrorEquals": ["BranchError"], "ResultPath": "$.err", "Next": "H"}], "End": True}, **passthru("H")}),
     {"in": 1}, PARALLEL_DOC + " (Catch on a Parallel state)", output={"in": 1, "err": {"Error": "BranchError", "Cause": "why"}})
case("parallel-nested", sm({"P": {"Type": "Parallel", "Branches": [sm({"Q": {"Type": "Parallel", "Branches": [sm(passthru("X", Result="x")), sm(passthru("Y", Result="y"))], "End": True}}), sm(passthru("Z", Result="z"))], "End": True}}),
     {}, PARALLEL_DOC + " (branches may contain Parallel states)", output=[["x", "y"], "z"])
case("parallel-branch-chain", sm({"P": {"Type": "Parallel", "Branches": [sm({**passthru("A", Result={"s": 1}, Next="B"), **passthru("B", Parameters={"t.$": "$.s"})})], "End": True}}),
     {}, PARALLEL_DOC, output=[{"t": 1}])

# ---------------------------------------------------------------- Map
case("map-basic", sm({"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P", "States": passthru("P", Parameters={"v.$": "$"})}, "End": True}}),
     {"items": [1, 2, 3]}, MAP_DOC + " (one iteration per item; the output is the array of iteration outputs in order)", output=[{"v": 1}, {"v": 2}, {"v": 3}])
case("map-item-selector-context", sm({"M": {"Type": "Map", "ItemsPath": "$.detail.shipped", "MaxConcurrency": 0,
                                           "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "courier.$": "$.detail.delivery-partner"},
                                           "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "ResultPath": "$.detail.shipped", "End": True}}),
     {"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [{"prod": "R31", "dest-code": 9511, "quantity": 1344}, {"prod": "S39", "dest-code": 9511, "quantity": 40}]}},
     MAP_DOC + " (ItemSelector with $$.Map.Item.Value and $$.Map.Item.Index, the shipping example)",
     output={"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
         {"parcel": {"prod": "R31", "dest-code": 9511, "quantity": 1344}, "index": 0, "courier": "UQS"},
         {"parcel": {"prod": "S39", "dest-code": 9511, "quantity": 40}, "index": 1, "courier": "UQS"}]}})
case("map-legacy-iterator-parameters", sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "Parameters": {"x.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}, "Iterator": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     {"xs": ["a", "b"]}, MAP_DOC + " (legacy Iterator and Parameters are still accepted)", output=[{"x": "a", "i": 0}, {"x": "b", "i": 1}])
case("map-empty", sm({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     [], MAP_DOC + " (ItemsPath defaults to $; an empty array gives an empty result)", output=[])
case("map-max-concurrency-1", sm({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "P"}, **passthru("P", Parameters={"doubled.$": "States.MathAdd($, $)"})}}, "End": True}}),
     {"xs": [1, 2, 3]}, MAP_DOC + " (MaxConcurrency 1 runs iterations one at a time; output order follows items)", output=[{"doubled": 2}, {"doubled": 4}, {"doubled": 6}])
case("map-iteration-fails", sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "OK"}, "F": {"Type": "Fail", "Error": "ItemError", "Cause": "item 2 is bad"}, **passthru("OK")}}, "End": True}}),
     {"xs": [1, 2, 3]}, MAP_DOC + " (a failed iteration fails the Map state with its error)", status="FAILED", error="ItemError", cause="item 2 is bad")
case("map-catch", sm({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ItemError", "Cause": "bad"}}}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}], "End": True}, **passthru("H")}),
     [1], MAP_DOC + " (Catch on a Map state)", output={"Error": "ItemError", "Cause": "bad"})
case("map-result-selector", sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "ResultSelector": {"n.$": "States.ArrayLength($)"}, "ResultPath": "$.count", "End": True}}),
     {"xs": [4, 5, 6, 7]}, MAP_DOC + " (ResultSelector over the array of results, then ResultPath)", output={"xs": [4, 5, 6, 7], "count": {"n": 4}})
case("map-nested", sm({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "N", "States": {"N": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": passthru("P", Parameters={"v.$": "$"})}, "End": True}}}, "End": True}}),
     [[1, 2], [3]], MAP_DOC + " (Map states may be nested)", output=[[{"v": 1}, {"v": 2}], [{"v": 3}]])
case("map-items-not-array", sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     {"xs": "nope"}, MAP_DOC + " (ItemsPath must select an array; otherwise the state fails with States.Runtime, \"Map state input must be an array but was: <value>\")",
     status="FAILED", error="States.Runtime", cause_contains="Map state input must be an array but was: \"nope\"")
case("map-items-path-missing", sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     {"a": 1}, "Public Step Functions execution failure reports (Invalid path ... : No results for path for an ItemsPath that selects nothing)",
     status="FAILED", error="States.Runtime", check_cause=False)

# ---------------------------------------------------------------- intrinsics
def intrinsic_case(name, expr, inp, out, src=INTRINSIC_DOC):
    case(name, sm(passthru("P", Parameters={"result.$": expr})), inp, src, output={"result": out})

intrinsic_case("intrinsic-format-literal", "States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav", "template": "Hello, my name is {}."}, "Hello, my name is Arnav.")
intrinsic_case("intrinsic-format-path-template", "States.Format($.template, $.name)", {"name": "Arnav", "template": "Hello, my name is {}."}, "Hello, my name is Arnav.")
intrinsic_case("intrinsic-format-number-bool-null", "States.Format('{} {} {}', $.n, $.b, $.z)", {"n": 42, "b": True, "z": None}, "42 true null",
               INTRINSIC_DOC + " (States.Format renders number, boolean and null arguments as JSON text)")
intrinsic_case("intrinsic-format-escapes", "States.Format('\\{\\} it\\'s {}', $.v)", {"v": "x"}, "{} it's x",
               INTRINSIC_DOC + " (reserved characters ' { } \\ escaped with a backslash)")
intrinsic_case("intrinsic-string-to-json", "States.StringToJson($.escapedJsonString)", {"escapedJsonString": "{\"foo\": \"bar\"}"}, {"foo": "bar"})
intrinsic_case("intrinsic-json-to-string", "States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}, "{\"foo\":\"bar\"}")
intrinsic_case("intrinsic-array", "States.Array('Foo', 2020, $.someJson, null)", {"someJson": {"random": "abcdefg"}}, ["Foo", 2020, {"random": "abcdefg"}, None])
intrinsic_case("intrinsic-array-single", "States.Array($.Id)", {"Id": 123456}, [123456])
intrinsic_case("intrinsic-array-partition", "States.ArrayPartition($.inputArray,4)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]])
intrinsic_case("intrinsic-array-contains", "States.ArrayContains($.inputArray, $.lookingFor)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5}, True)
intrinsic_case("intrinsic-array-contains-false", "States.ArrayContains($.inputArray, $.lookingFor)", {"inputArray": [1, 2, 3], "lookingFor": 7}, False)
intrinsic_case("intrinsic-array-contains-object", "States.ArrayContains($.a, $.o)", {"a": [{"x": 1}, {"y": 2}], "o": {"y": 2}}, True,
               INTRINSIC_DOC + " (ArrayContains compares JSON values)")
intrinsic_case("intrinsic-array-range", "States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9])
intrinsic_case("intrinsic-array-get-item", "States.ArrayGetItem($.inputArray, $.index)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}, 6)
intrinsic_case("intrinsic-array-length", "States.ArrayLength($.inputArray)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 9)
intrinsic_case("intrinsic-array-unique", "States.ArrayUnique($.inputArray)", {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4])
intrinsic_case("intrinsic-base64-encode", "States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU=")
intrinsic_case("intrinsic-base64-decode", "States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode")
for alg, fn in [("SHA-1", hashlib.sha1), ("MD5", hashlib.md5), ("SHA-256", hashlib.sha256), ("SHA-384", hashlib.sha384), ("SHA-512", hashlib.sha512)]:
    intrinsic_case("intrinsic-hash-" + alg.lower().replace("-", ""), "States.Hash($.Data, $.Algorithm)", {"Data": "input data", "Algorithm": alg},
                   fn(b"input data").hexdigest(), INTRINSIC_DOC + " (States.Hash example; hex digest of the UTF-8 data)")
intrinsic_case("intrinsic-json-merge", "States.JsonMerge($.json1, $.json2, false)",
               {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}, {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})
intrinsic_case("intrinsic-math-add", "States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110)
intrinsic_case("intrinsic-string-split", "States.StringSplit($.inputString, $.splitter)", {"inputString": "1,2,3,4,5", "splitter": ","}, ["1", "2", "3", "4", "5"])
intrinsic_case("intrinsic-string-split-many-delimiters", "States.StringSplit($.inputString, $.splitter)", {"inputString": "This.is+a,test=string", "splitter": ".+,="}, ["This", "is", "a", "test", "string"])
intrinsic_case("intrinsic-nested", "States.ArrayLength(States.StringSplit($.s, ','))", {"s": "a,b,c"}, 3, INTRINSIC_DOC + " (intrinsic functions may be nested)")
intrinsic_case("intrinsic-uuid-shape", "States.ArrayLength(States.StringSplit(States.UUID(), '-'))", {}, 5, INTRINSIC_DOC + " (States.UUID returns a v4 UUID: five dash-separated groups)")
intrinsic_case("intrinsic-context-arg", "States.Format('{}-{}', $$.State.Name, $.x)", {"x": 1}, "P-1", INTRINSIC_DOC + " and " + CTX_DOC + " (context paths as arguments)")
case("intrinsic-math-random-range", sm({**passthru("P", Parameters={"r.$": "States.MathRandom($.lo, $.hi)"}, Next="C"),
                                         "C": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.r", "NumericGreaterThanEquals": 1}, {"Variable": "$.r", "NumericLessThan": 10}], "Next": "In"}], "Default": "Out"},
                                         **passthru("In", Result="in range"), **passthru("Out", Result="out of range")}),
     {"lo": 1, "hi": 10}, INTRINSIC_DOC + " (MathRandom returns a number between start (inclusive) and end (exclusive))", output="in range")
case("intrinsic-in-result-selector", sm({"T": task(ResultSelector={"n.$": "States.ArrayLength($.items)"})}), {},
     INTRINSIC_DOC + " (intrinsic functions are allowed in ResultSelector)", output={"n": 2}, mock=mock_of({"T": {"0": {"Return": {"items": ["a", "b"]}}}}))

# ---------------------------------------------------------------- context object
case("context-execution-input", sm({**passthru("P", Result="x", Next="Q"), **passthru("Q", Parameters={"original.$": "$$.Execution.Input", "state.$": "$$.State.Name"})}),
     {"k": "v"}, CTX_DOC + " ($$.Execution.Input holds the execution input, $$.State.Name the current state)", output={"original": {"k": "v"}, "state": "Q"})
case("context-retry-count", sm({"T": task(Parameters={"n.$": "$$.State.RetryCount"}, Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}], ResultPath=None)}),
     {"in": True}, CTX_DOC + " ($$.State.RetryCount)", output={"in": True},
     mock=mock_of({"T": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1": {"Return": {}}}}))
case("context-entered-time-is-string", sm({**passthru("P", Parameters={"t.$": "$$.State.EnteredTime", "s.$": "$$.Execution.StartTime"}, Next="C"),
                                            "C": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.t", "IsTimestamp": True}, {"Variable": "$.s", "IsTimestamp": True}], "Next": "Yes"}], "Default": "No"},
                                            **passthru("Yes", Result="timestamps"), **passthru("No", Result="not timestamps")}),
     {}, CTX_DOC + " (EnteredTime and StartTime are ISO 8601 timestamps)", output="timestamps")

# ---------------------------------------------------------------- variables
case("variables-assign-and-read", sm({**passthru("A", Assign={"count": 1, "user.$": "$.user"}, Next="B"), **passthru("B", Parameters={"c.$": "$count", "u.$": "$user.name"})}),
     {"user": {"name": "Ann"}}, VAR_DOC + " (Assign stores variables; later states read them as $name)", output={"c": 1, "u": "Ann"})
case("variables-not-in-output", sm(passthru("A", Assign={"x": 1})), {"in": 1},
     VAR_DOC + " (assigned variables are not part of the state output)", output={"in": 1})
case("variables-in-choice", sm({**passthru("A", Assign={"limit": 10}, Next="C"),
                                "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericLessThanPath": "$limit", "Next": "Low"}], "Default": "High"},
                                **passthru("Low", Result="low"), **passthru("High", Result="high")}),
     {"v": 3}, VAR_DOC + " (variables can be used in Choice comparisons)", output="low")
case("variables-intrinsic", sm({**passthru("A", Assign={"first": "Ada", "last": "Lovelace"}, Next="B"), **passthru("B", Parameters={"full.$": "States.Format('{} {}', $first, $last)"})}),
     {}, VAR_DOC + " (variables as intrinsic function arguments)", output={"full": "Ada Lovelace"})

# ---------------------------------------------------------------- chains
case("chain-pass-transforms", sm({**passthru("One", Result={"n": 1}, ResultPath="$.one", Next="Two"), **passthru("Two", Parameters={"sum.$": "States.MathAdd($.one.n, $.base)"}, ResultPath="$.two", Next="Three"),
                                  **passthru("Three", OutputPath="$.two")}),
     {"base": 41}, IO_DOC + " (each state's output is the next state's input)", output={"sum": 42})
case("chain-choice-loop", sm({**passthru("Init", Parameters={"i": 0}, Next="Check"),
                              "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Done"}], "Default": "Inc"},
                              **passthru("Inc", Parameters={"i.$": "States.MathAdd($.i, 1)"}, Next="Check"), **passthru("Done")}),
     {}, CHOICE_DOC + " (loops through Choice; States.MathAdd)", output={"i": 3})


# ---------------------------------------------------------------- more, from the spec and public records
SPEC_ISSUE_12 = "https://github.com/awslabs/states-language/issues/12 (spec Parameters example with $.vals[0] and $.vals[3:])"
case("spec-parameters-slice", sm(passthru("P", Parameters={"flagged": True, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"}})),
     {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}, SPEC_ISSUE_12, output={"flagged": True, "parts": {"first": 0, "last3": [30, 40, 50]}})
case("spec-task-inputpath-resultpath", sm({"Add": task("arn:aws:lambda:us-east-1:123456789012:function:Add", InputPath="$.numbers", ResultPath="$.sum")}),
     {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}, SPEC + " (InputPath $.numbers, ResultPath $.sum example; the function returns 7)",
     output={"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7}, mock=mock_of({"Add": {"0": {"Return": 7}}}))
case("spec-result-selector", sm({"EMR": task("arn:aws:states:::elasticmapreduce:createCluster.sync", Parameters={"Name": "MyCluster"}, ResultSelector={"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"}, ResultPath="$.EMROutput")}),
     {"in": 1}, SPEC + " (ResultSelector example: ClusterId and ResourceType selected from the task result)",
     output={"in": 1, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}},
     mock=mock_of({"EMR": {"0": {"Return": {"resourceType": "elasticmapreduce", "resource": "createCluster.sync", "output": {"SdkHttpMetadata": {"HttpHeaders": {"Content-Length": "1112", "Content-Type": "application/x-amz-JSON-1.1"}, "HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": "1234-5678-9012"}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}}}}))
case("intrinsic-missing-path-argument", sm(passthru("Transform input values to array", Parameters={"value.$": "States.Array($.optionalProperty)"})),
     {"requiredProperty": 1},
     "Public record (README of a CDK construct, cdk-handle-optional-parameters) quoting a real failure: \"An error occurred while executing the state 'Transform input values to array' (entered at the event id #2). The function 'States.Array(<optionalProperty JsonPath>)' had the following error: The JsonPath argument for the field '<optionalProperty JsonPath>' could not be found in the input '{...}'\"",
     status="FAILED", error="States.Runtime",
     cause=prefix("Transform input values to array", 2) + "The function 'States.Array($.optionalProperty)' had the following error: The JsonPath argument for the field '$.optionalProperty' could not be found in the input '{\"requiredProperty\":1}'")
KB_STRING = "x" * 1000
def big_branch(n):
    return sm({"M%d" % n: {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Up", "States": passthru("Up", Parameters={"text": KB_STRING})}, "End": True}})
DATA_LIMIT_SRC = ("Public records of real failures: {\"error\": \"States.DataLimitExceeded\", \"cause\": \"The state/task 'Uppers' returned a result with a size exceeding the maximum number of bytes service limit.\"} "
                  "(a Parallel fan-in over 256 KiB) and " + ERR_DOC + " (States.ALL does not catch States.DataLimitExceeded)")
case("data-limit-parallel", sm({"Uppers": {"Type": "Parallel", "Branches": [big_branch(1), big_branch(2), big_branch(3)], "End": True}}),
     {"items": list(range(100))}, DATA_LIMIT_SRC, status="FAILED", error="States.DataLimitExceeded",
     cause="The state/task 'Uppers' returned a result with a size exceeding the maximum number of bytes service limit.")
case("data-limit-not-caught-by-all", sm({"Uppers": {"Type": "Parallel", "Branches": [big_branch(1), big_branch(2), big_branch(3)], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True}, **passthru("Caught", Result="caught")}),
     {"items": list(range(100))}, DATA_LIMIT_SRC, status="FAILED", error="States.DataLimitExceeded",
     cause="The state/task 'Uppers' returned a result with a size exceeding the maximum number of bytes service limit.")
BIG_FN = "arn:aws:lambda:us-east-1:123456789012:function:big"
case("data-limit-task-result", sm({"Parse": task(BIG_FN)}),
     {}, "Public record of a real failure of a Lambda task: \"The state/task 'arn:aws:lambda:sa-east-1:433939225102:function:kiro-cost-analyzer-parse' returned a result with a size exceeding the maximum number of bytes service limit.\" (States.DataLimitExceeded names the task's function ARN)",
     status="FAILED", error="States.DataLimitExceeded", cause="The state/task '" + BIG_FN + "' returned a result with a size exceeding the maximum number of bytes service limit.",
     mock=mock_of({"Parse": {"0": {"Return": {"records": "y" * (257 * 1024)}}}}))
case("pass-parameters-then-resultpath", sm(passthru("P", Parameters={"x.$": "$.a"}, ResultPath="$.p")), {"a": 1},
     PASS_DOC + " (without Result, a Pass state's result is its effective input, placed by ResultPath)", output={"a": 1, "p": {"x": 1}})
case("pass-explicit-root-paths", sm(passthru("P", InputPath="$", Result={"r": 1}, ResultPath="$", OutputPath="$")), {"a": 1},
     IO_DOC + " ($ as InputPath, ResultPath and OutputPath)", output={"r": 1})
case("wait-timestamp-future", sm({"W": {"Type": "Wait", "Timestamp": "2030-01-01T00:00:00Z", "Next": "Done"}, **passthru("Done")}), {"a": 1},
     WAIT_DOC + " (waits until the timestamp, then passes the input on)", output={"a": 1})
choice_case("choice-array-index-variable", {"Variable": "$.a[0]", "StringEquals": "x"}, {"a": ["x", "y"]}, True)
choice_case("choice-timestamp-on-non-timestamp-is-false", {"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}, {"t": "not a time"}, False,
            CHOICE_DOC + " (a comparison against a value of another type is false, not an error)")
choice_case("choice-string-matches-escaped-backslash", {"Variable": "$.p", "StringMatches": "C:\\\\*"}, {"p": "C:\\Windows"}, True,
            CHOICE_DOC + " (StringMatches: \\\\ matches a literal backslash; * matches the rest)")
case("parallel-branch-succeed", sm({"P": {"Type": "Parallel", "Branches": [sm({"S": {"Type": "Succeed", "OutputPath": "$.a"}}), sm(passthru("Q", Result=2))], "End": True}}),
     {"a": 1}, PARALLEL_DOC + " (a branch ending in Succeed contributes its output)", output=[1, 2])
case("parallel-map-inside", sm({"P": {"Type": "Parallel", "Branches": [sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"i.$": "$$.Map.Item.Index"}, "ItemProcessor": {"StartAt": "I", "States": passthru("I")}, "End": True}})], "End": True}}),
     {"xs": ["a", "b"]}, PARALLEL_DOC + " and " + MAP_DOC + " (a Map state inside a Parallel branch)", output=[[{"i": 0}, {"i": 1}]])
intrinsic_case("intrinsic-array-partition-short", "States.ArrayPartition($.a, 5)", {"a": [1, 2]}, [[1, 2]], INTRINSIC_DOC + " (the last chunk may be shorter than the chunk size)")
intrinsic_case("intrinsic-string-to-json-number", "States.StringToJson($.s)", {"s": "123"}, 123)
intrinsic_case("intrinsic-string-to-json-array", "States.StringToJson($.s)", {"s": "[1,\"a\",null]"}, [1, "a", None])
intrinsic_case("intrinsic-json-to-string-array", "States.JsonToString($.a)", {"a": [1, {"b": "c"}]}, "[1,{\"b\":\"c\"}]")
intrinsic_case("intrinsic-json-round-trip", "States.StringToJson(States.JsonToString($.o))", {"o": {"z": 1, "a": [True, None]}}, {"z": 1, "a": [True, None]},
               INTRINSIC_DOC + " (StringToJson inverts JsonToString; key order is kept)")
intrinsic_case("intrinsic-format-decimal", "States.Format('{} and {}', $.f, $.s)", {"f": 1.5, "s": "str"}, "1.5 and str")
intrinsic_case("intrinsic-math-add-negative", "States.MathAdd($.a, $.b)", {"a": -5, "b": -7}, -12)
intrinsic_case("intrinsic-array-literals", "States.Array(1, 'two', true, null, $.x)", {"x": [3]}, [1, "two", True, None, [3]])
intrinsic_case("intrinsic-hash-unicode-sha256", "States.Hash($.Data, 'SHA-256')", {"Data": "Grüße"}, hashlib.sha256("Grüße".encode()).hexdigest(),
               INTRINSIC_DOC + " (the hash of the UTF-8 bytes of the data)")
intrinsic_case("intrinsic-base64-round-trip", "States.Base64Decode(States.Base64Encode($.s))", {"s": "a+b/c=d"}, "a+b/c=d")
intrinsic_case("intrinsic-string-split-consecutive", "States.StringSplit($.s, ',')", {"s": "a,,b"}, ["a", "b"],
               INTRINSIC_DOC + " (StringSplit drops empty strings between consecutive delimiters, as Java's StringTokenizer does)")


# ---------------------------------------------------------------- AWS-characterized intrinsic edge cases
SUITE = ("Public conformance suite of a Step Functions emulator, file tests/support/conformance/intrinsicCases/%s.ts, case %s "
         "(cases run against AWS; notes record AWS's actual result where it differs from the emulator)")
def suite_case(fn, cid, name, expr, inp, out=None, fails=False, note=""):
    src = SUITE % (fn, cid) + ((": " + note) if note else "")
    if fails:
        case(name, sm(passthru("P", Parameters={"value.$": expr})), inp, src, status="FAILED", error="States.Runtime",
             cause_contains="Invalid arguments in " + fn)
    else:
        case(name, sm(passthru("P", Parameters={"value.$": expr})), inp, src, output={"value": out})

AR = "States.ArrayRange"
suite_case(AR, "ARANGE-002", "intrinsic-array-range-unit-step", "States.ArrayRange(1, 5, 1)", {}, [1, 2, 3, 4, 5])
suite_case(AR, "ARANGE-003", "intrinsic-array-range-crosses-zero", "States.ArrayRange(-2, 2, 2)", {}, [-2, 0, 2])
suite_case(AR, "ARANGE-004", "intrinsic-array-range-fractional", "States.ArrayRange(1.4, 5.6, 2.2)", {}, [1, 3, 5])
suite_case(AR, "ARANGE-005", "intrinsic-array-range-equal-bounds", "States.ArrayRange(3, 3, 1)", {}, [3])
suite_case(AR, "ARANGE-006", "intrinsic-array-range-equal-bounds-negative-step", "States.ArrayRange(3, 3, -1)", {}, [3])
suite_case(AR, "ARANGE-007", "intrinsic-array-range-descending", "States.ArrayRange(5, 1, -2)", {}, [5, 3, 1])
suite_case(AR, "ARANGE-008", "intrinsic-array-range-wrong-direction-positive", "States.ArrayRange(5, 1, 1)", {}, [])
suite_case(AR, "ARANGE-009", "intrinsic-array-range-wrong-direction-negative", "States.ArrayRange(1, 5, -1)", {}, [])
suite_case(AR, "ARANGE-023", "intrinsic-array-range-truncates-bounds", "States.ArrayRange(1.6, 1.4, 1)", {}, [1],
           note="AWS truncates fractional bounds and returns [1]")
suite_case(AR, "ARANGE-024", "intrinsic-array-range-truncates-descending", "States.ArrayRange(5.4, -0.6, -2.4)", {}, [5, 3, 1],
           note="AWS behaves like States.ArrayRange(5, 0, -2)")
suite_case(AR, "ARANGE-010", "intrinsic-array-range-string-start", "States.ArrayRange('a', 5, 1)", {}, fails=True)
suite_case(AR, "ARANGE-012", "intrinsic-array-range-string-step", "States.ArrayRange(1, 5, 'c')", {}, fails=True)
suite_case(AR, "ARANGE-013", "intrinsic-array-range-zero-step", "States.ArrayRange(1, 10, 0)", {}, fails=True)
suite_case(AR, "ARANGE-014", "intrinsic-array-range-step-rounds-to-zero", "States.ArrayRange(1, 10, 0.49)", {}, fails=True)
case("intrinsic-array-range-1000-items", sm({**passthru("P", Parameters={"value.$": "States.ArrayRange(1, 1000, 1)"}, Next="L"), **passthru("L", Parameters={"n.$": "States.ArrayLength($.value)", "first.$": "$.value[0]", "last.$": "$.value[999]"})}),
     {}, SUITE % (AR, "ARANGE-015") + " (exactly 1000 items is allowed)", output={"n": 1000, "first": 1, "last": 1000})
suite_case(AR, "ARANGE-016", "intrinsic-array-range-1001-items", "States.ArrayRange(1, 1001, 1)", {}, fails=True)
suite_case(AR, "ARANGE-018", "intrinsic-array-range-1001-items-descending", "States.ArrayRange(1001, 1, -1)", {}, fails=True)
suite_case(AR, "ARANGE-021", "intrinsic-array-range-nested-math-add", "States.ArrayRange(States.MathAdd($.base, 1), States.MathAdd($.base, 5), 2)", {"base": 0}, [1, 3, 5])
suite_case(AR, "ARANGE-022", "intrinsic-array-range-context-args", "States.ArrayRange($$.Execution.Input.start, $$.Execution.Input.end, $$.Execution.Input.step)", {"start": 2, "end": 6, "step": 2}, [2, 4, 6])

AP = "States.ArrayPartition"
suite_case(AP, "AP-001", "intrinsic-array-partition-singletons", "States.ArrayPartition($.arr, 1)", {"arr": [1, 2, 3]}, [[1], [2], [3]])
suite_case(AP, "AP-002", "intrinsic-array-partition-even", "States.ArrayPartition($.arr, 2)", {"arr": [1, 2, 3, 4]}, [[1, 2], [3, 4]])
suite_case(AP, "AP-005", "intrinsic-array-partition-empty", "States.ArrayPartition($.arr, 3)", {"arr": []}, [])
suite_case(AP, "AP-006", "intrinsic-array-partition-nested-arrays", "States.ArrayPartition($.arr, 2)", {"arr": [[1], [2], [3], [4]]}, [[[1], [2]], [[3], [4]]])
suite_case(AP, "AP-007", "intrinsic-array-partition-objects", "States.ArrayPartition($.arr, 2)", {"arr": [{"a": 1}, {"b": 2}, {"c": 3}]}, [[{"a": 1}, {"b": 2}], [{"c": 3}]])
suite_case(AP, "AP-013", "intrinsic-array-partition-truncates-2.6", "States.ArrayPartition($.arr, 2.6)", {"arr": [1, 2, 3, 4, 5]}, [[1, 2], [3, 4], [5]],
           note="AWS truncates 2.6 to 2 and returns [[1, 2], [3, 4], [5]]")
suite_case(AP, "AP-014", "intrinsic-array-partition-2.4", "States.ArrayPartition($.arr, 2.4)", {"arr": [1, 2, 3, 4, 5]}, [[1, 2], [3, 4], [5]])
suite_case(AP, "AP-015", "intrinsic-array-partition-0.6", "States.ArrayPartition($.arr, 0.6)", {"arr": [1, 2, 3]}, fails=True,
           note="AWS returns States.Runtime with the generic invalid-arguments cause")
suite_case(AP, "AP-016", "intrinsic-array-partition-0.49", "States.ArrayPartition($.arr, 0.49)", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-018", "intrinsic-array-partition-negative-fraction", "States.ArrayPartition($.arr, -0.6)", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-008", "intrinsic-array-partition-not-array", "States.ArrayPartition('not-array', 2)", {}, fails=True)
suite_case(AP, "AP-009", "intrinsic-array-partition-string-size", "States.ArrayPartition($.arr, '2')", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-010", "intrinsic-array-partition-null-size", "States.ArrayPartition($.arr, null)", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-011", "intrinsic-array-partition-zero-size", "States.ArrayPartition($.arr, 0)", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-012", "intrinsic-array-partition-negative-size", "States.ArrayPartition($.arr, -1)", {"arr": [1, 2, 3]}, fails=True)
suite_case(AP, "AP-021", "intrinsic-array-partition-nested-array-call", "States.ArrayPartition(States.Array(1,2,3,4,5), 2)", {}, [[1, 2], [3, 4], [5]])
suite_case(AP, "AP-022", "intrinsic-array-partition-context-size", "States.ArrayPartition($.arr, $$.Execution.Input.chunkSize)", {"arr": [1, 2, 3, 4, 5], "chunkSize": 2}, [[1, 2], [3, 4], [5]])
suite_case(AP, "AP-024", "intrinsic-array-partition-huge-size", "States.ArrayPartition($.arr, 2147483647)", {"arr": [1, 2, 3]}, [[1, 2, 3]])
case("intrinsic-math-add-not-a-number", sm(passthru("Add", Parameters={"sum.$": "States.MathAdd($.firstNumber, $.secondNumber)"})),
     {"firstNumber": 1, "secondNumber": "NOT A NUMBER"},
     "Public test suite run against real Step Functions (AddNumbersStateMachine): status FAILED, error States.Runtime, cause contains 'Invalid arguments in States.MathAdd'",
     status="FAILED", error="States.Runtime", cause_contains="Invalid arguments in States.MathAdd")
case("intrinsic-string-to-json-object-arg", sm(passthru("Parse", Parameters={"o.$": "States.StringToJson($.Output)"})),
     {"Output": {"already": "json"}},
     "Public record of a real run: 'States.Runtime: Invalid arguments in States.StringToJson' when the argument (a .sync:2 Output) was already a JSON object, not a string",
     status="FAILED", error="States.Runtime", cause_contains="Invalid arguments in States.StringToJson")


def suite_fail(fn, cid, name, expr, inp, contains=None, note=""):
    """A case the suite records as failing with States.Runtime; the cause is
    compared only where the suite records part of it."""
    src = SUITE % (fn, cid) + ((": " + note) if note else "")
    case(name, sm(passthru("P", Parameters={"value.$": expr})), inp, src, status="FAILED", error="States.Runtime",
         check_cause=False, cause_contains=contains)

GI = "States.ArrayGetItem"
suite_case(GI, "AGI-001", "intrinsic-array-get-item-first", "States.ArrayGetItem($.arr, 0)", {"arr": ["a", "b", "c"]}, "a")
suite_case(GI, "AGI-005", "intrinsic-array-get-item-null", "States.ArrayGetItem($.arr, 0)", {"arr": [None]}, None)
suite_case(GI, "AGI-007", "intrinsic-array-get-item-object", "States.ArrayGetItem($.arr, 1)", {"arr": [{"a": 1}, {"b": 2}]}, {"b": 2})
suite_case(GI, "AGI-020", "intrinsic-array-get-item-nested-literals", "States.ArrayGetItem(States.Array('x', 'y', 'z'), 1)", {}, "y")
suite_case(GI, "AGI-021", "intrinsic-array-get-item-nested-paths", "States.ArrayGetItem(States.Array($.a, $.b), 0)", {"a": {"k": 1}, "b": {"k": 2}}, {"k": 1})
suite_case(GI, "AGI-022", "intrinsic-array-get-item-context", "States.ArrayGetItem($$.Execution.Input.arr, $.idx)", {"arr": ["zero", "one", "two"], "idx": 2}, "two")
suite_case(GI, "AGI-011", "intrinsic-array-get-item-empty-out-of-range", "States.ArrayGetItem($.arr, 999)", {"arr": []}, None,
           note="AWS returns { value: null } for an out-of-range index on an empty array")
suite_case(GI, "AGI-015", "intrinsic-array-get-item-fractional-index", "States.ArrayGetItem($.arr, 1.2)", {"arr": [10, 20, 30]}, 20,
           note="AWS truncates the fractional index and returns { value: 20 }")
suite_fail(GI, "AGI-008", "intrinsic-array-get-item-not-array", "States.ArrayGetItem('not-array', 0)", {})
suite_fail(GI, "AGI-009", "intrinsic-array-get-item-index-equals-length", "States.ArrayGetItem($.arr, 3)", {"arr": [10, 20, 30]})
suite_fail(GI, "AGI-010", "intrinsic-array-get-item-negative-index", "States.ArrayGetItem($.arr, -1)", {"arr": [10, 20, 30]})
suite_fail(GI, "AGI-012", "intrinsic-array-get-item-string-index", "States.ArrayGetItem($.arr, '1')", {"arr": [10, 20, 30]})

MA = "States.MathAdd"
suite_case(MA, "MADD-001", "intrinsic-math-add-literals", "States.MathAdd(5, 3)", {}, 8)
suite_case(MA, "MADD-004", "intrinsic-math-add-mixed-sign", "States.MathAdd(-5, 3)", {}, -2)
suite_case(MA, "MADD-005", "intrinsic-math-add-rounds-decimals", "States.MathAdd($.a, $.b)", {"a": 1.6, "b": 2.7}, 5,
           note="AWS rounds each operand to the nearest integer before adding")
suite_case(MA, "MADD-006", "intrinsic-math-add-tiny-decimals", "States.MathAdd($.a, $.b)", {"a": 0.1, "b": 0.2}, 0)
suite_case(MA, "MADD-009", "intrinsic-math-add-max-int32", "States.MathAdd(2147483647, 0)", {}, 2147483647)
suite_case(MA, "MADD-010", "intrinsic-math-add-min-int32", "States.MathAdd(-2147483648, 0)", {}, -2147483648)
suite_case(MA, "MADD-015", "intrinsic-math-add-upper-bound-sum", "States.MathAdd(2147483646, 1)", {}, 2147483647)
suite_case(MA, "MADD-016", "intrinsic-math-add-lower-bound-sum", "States.MathAdd(-2147483647, -1)", {}, -2147483648)
suite_case(MA, "MADD-023", "intrinsic-math-add-nested", "States.MathAdd(States.MathAdd($.x, 1), 2)", {"x": 5}, 8)
suite_case(MA, "MADD-024", "intrinsic-math-add-into-array", "States.Array(States.MathAdd($.x, -1), States.MathAdd($.x, 1))", {"x": 5}, [4, 6])
suite_fail(MA, "MADD-011", "intrinsic-math-add-overflow", "States.MathAdd(2147483647, 1)", {})
suite_fail(MA, "MADD-012", "intrinsic-math-add-underflow", "States.MathAdd(-2147483648, -1)", {})
suite_fail(MA, "MADD-013", "intrinsic-math-add-operand-out-of-range", "States.MathAdd(3000000000, 1)", {})
suite_fail(MA, "MADD-017", "intrinsic-math-add-string-operand", "States.MathAdd('a', 1)", {}, contains="Invalid arguments in States.MathAdd")
suite_fail(MA, "MADD-019", "intrinsic-math-add-null-operand", "States.MathAdd(null, 1)", {})
suite_fail(MA, "MADD-020", "intrinsic-math-add-boolean-operand", "States.MathAdd(true, 1)", {})
suite_fail(MA, "MADD-031", "intrinsic-math-add-numeric-string", "States.MathAdd('-1', 2)", {})
suite_fail(MA, "MADD-036", "intrinsic-math-add-array-operand", "States.MathAdd(-1, $.probe)", {"probe": [None, "", " ", 0, 1, True, False, [0, 1, False]]})


AC = "States.ArrayContains"
suite_case(AC, "AC-001", "intrinsic-array-contains-number", "States.ArrayContains($.arr, 2)", {"arr": [1, 2, 3]}, True)
suite_case(AC, "AC-002", "intrinsic-array-contains-absent-number", "States.ArrayContains($.arr, 5)", {"arr": [1, 2, 3]}, False)
suite_case(AC, "AC-003", "intrinsic-array-contains-string-literal", "States.ArrayContains($.arr, 'C')", {"arr": ["A", "B", "C"]}, True)
suite_case(AC, "AC-005", "intrinsic-array-contains-null", "States.ArrayContains($.arr, null)", {"arr": [1, None, 3]}, True)
suite_case(AC, "AC-010", "intrinsic-array-contains-nested-array", "States.ArrayContains($.arr, $.target)", {"arr": [[1, 2], [3, 4]], "target": [1, 2]}, True)
suite_case(AC, "AC-012", "intrinsic-array-contains-empty", "States.ArrayContains($.arr, $.target)", {"arr": [], "target": 1}, False)
suite_case(AC, "AC-019", "intrinsic-array-contains-nested-call", "States.ArrayContains(States.Array(1, 2, 3), 2)", {}, True)
suite_case(AC, "AC-020", "intrinsic-array-contains-nested-objects", "States.ArrayContains(States.Array($.obj1, $.obj2), $.target)", {"obj1": {"a": 1}, "obj2": {"b": 2}, "target": {"b": 2}}, True)
suite_case(AC, "AC-021", "intrinsic-array-contains-context-target", "States.ArrayContains($.arr, $$.Execution.Input.target)", {"arr": ["alpha", "beta", "gamma"], "target": "beta"}, True)
suite_case(AC, "AC-024", "intrinsic-array-contains-object-extra-field", "States.ArrayContains($.arr, $.target)", {"arr": [{"a": 1}], "target": {"a": 1, "extra": None}}, False)
suite_case(AC, "AC-025", "intrinsic-array-contains-no-bool-number-coercion", "States.ArrayContains($.arr, false)", {"arr": [0, 1, -1, -1.5]}, False)
suite_case(AC, "AC-027", "intrinsic-array-contains-mixed-bag", "States.ArrayContains($.arr, $.target)", {"arr": [None, "", " ", 0, 1, True, False, [0, 1, False]], "target": [0, 1, False]}, True)
suite_case(AC, "AC-009", "intrinsic-array-contains-object-key-order", "States.ArrayContains($.arr, $.target)", {"arr": [{"a": 1, "b": 2}], "target": {"b": 2, "a": 1}}, False,
           note="AWS returns { value: false }: objects with the same members in another order do not match")
suite_case(AC, "AC-026", "intrinsic-array-contains-string-number-match", "States.ArrayContains($.arr, $.target)", {"arr": ["-1", "-1.5", "-9007199254740991", "9007199254740991"], "target": 9007199254740991}, True,
           note="AWS returns { value: true }: the number matches the string with the same text")
suite_case(AC, "AC-028", "intrinsic-array-contains-string-boolean-match", "States.ArrayContains($.arr, true)", {"arr": ["true", "false", "maybe"]}, True,
           note="AWS returns { value: true }: the boolean true matches the string \"true\"")
suite_fail(AC, "AC-013", "intrinsic-array-contains-not-array", "States.ArrayContains('not-array', 'x')", {})
suite_fail(AC, "AC-014", "intrinsic-array-contains-missing-arg", "States.ArrayContains($.arr)", {"arr": [1, 2, 3]})
suite_fail(AC, "AC-015", "intrinsic-array-contains-extra-arg", "States.ArrayContains($.arr, 2, 999)", {"arr": [1, 2, 3]})

AU = "States.ArrayUnique"
suite_case(AU, "AUNIQ-001", "intrinsic-array-unique-numbers", "States.ArrayUnique($.arr)", {"arr": [1, 2, 3, 3, 3, 4]}, [1, 2, 3, 4])
suite_case(AU, "AUNIQ-002", "intrinsic-array-unique-strings", "States.ArrayUnique($.arr)", {"arr": ["a", "b", "a", "c", "b"]}, ["a", "b", "c"])
suite_case(AU, "AUNIQ-003", "intrinsic-array-unique-empty", "States.ArrayUnique($.arr)", {"arr": []}, [])
suite_case(AU, "AUNIQ-005", "intrinsic-array-unique-nulls", "States.ArrayUnique($.arr)", {"arr": [None, None, 1, None]}, [None, 1])
suite_case(AU, "AUNIQ-006", "intrinsic-array-unique-lookalikes", "States.ArrayUnique($.arr)", {"arr": [1, "1", 1, "01"]}, [1, "1", "01"])
suite_case(AU, "AUNIQ-007", "intrinsic-array-unique-objects", "States.ArrayUnique($.arr)", {"arr": [{"a": 1}, {"a": 1}]}, [{"a": 1}])
suite_case(AU, "AUNIQ-008", "intrinsic-array-unique-object-key-order", "States.ArrayUnique($.arr)", {"arr": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]}, [{"a": 1, "b": 2}])
suite_case(AU, "AUNIQ-012", "intrinsic-array-unique-nested-objects", "States.ArrayUnique($.arr)", {"arr": [{"nested": {"x": 1}}, {"nested": {"x": 1}}]}, [{"nested": {"x": 1}}])
suite_case(AU, "AUNIQ-014", "intrinsic-array-unique-first-seen", "States.ArrayUnique($.arr)", {"arr": [1, 2, 1, 3, 2, 4]}, [1, 2, 3, 4])
suite_case(AU, "AUNIQ-019", "intrinsic-array-unique-nested-call", "States.ArrayUnique(States.Array(1,1,2,2,3))", {}, [1, 2, 3])
suite_case(AU, "AUNIQ-020", "intrinsic-array-unique-context", "States.ArrayUnique($$.Execution.Input.tags)", {"tags": ["x", "x", "y"]}, ["x", "y"])
suite_case(AU, "AUNIQ-004", "intrinsic-array-unique-booleans-order", "States.ArrayUnique($.arr)", {"arr": [True, False, True, False]}, [False, True],
           note="AWS returns [false, true]")
suite_case(AU, "AUNIQ-010", "intrinsic-array-unique-nested-arrays-order", "States.ArrayUnique($.arr)", {"arr": [[1, 2], [1, 2], [2, 1]]}, [[2, 1], [1, 2]],
           note="AWS returns [[2, 1], [1, 2]]")
suite_fail(AU, "AUNIQ-015", "intrinsic-array-unique-not-array", "States.ArrayUnique('not-array')", {})
suite_fail(AU, "AUNIQ-016", "intrinsic-array-unique-object-arg", "States.ArrayUnique($.obj)", {"obj": {"a": 1}})


FM = "States.Format"
suite_case(FM, "FMT-01", "intrinsic-format-hello", "States.Format('Hello {}', $.name)", {"name": "Ada"}, "Hello Ada")
suite_case(FM, "FMT-02", "intrinsic-format-mixed-scalars", "States.Format('{} {} {}', $.a, $.b, $.c)", {"a": "x", "b": 2, "c": True}, "x 2 true")
suite_case(FM, "FMT-05", "intrinsic-format-no-placeholders", "States.Format('no placeholders')", {}, "no placeholders")
suite_case(FM, "FMT-23", "intrinsic-format-context", "States.Format('{}:{}', $.name, $$.Execution.Input.suffix)", {"name": "job", "suffix": "run"}, "job:run")
suite_case(FM, "FMT-03", "intrinsic-format-nested-json-to-string", "States.Format('arn:{}:{}', $.svc, States.JsonToString($.obj))", {"svc": "lambda", "obj": {"k": 1}}, "arn:lambda:{\"k\":1}")
suite_case(FM, "FMT-19", "intrinsic-format-whitespace", "States.Format('  {}  ', $.a)", {"a": "x"}, "  x  ")
suite_case(FM, "selectPath.spec", "intrinsic-format-escaped-quotes", "States.Format('Name: \\'{}\\', Surname: \"{}\"', $.name, $.surname)", {"name": "Gabriel", "surname": "Moreira"}, "Name: 'Gabriel', Surname: \"Moreira\"")
suite_case(FM, "016-format-null-boolean-and-boundary-numbers", "intrinsic-format-null-and-boundaries", "States.Format('{}|{}|{}|{}|{}', $.nil, $.bool, $.negative, $.fractional, $.hugePositive)",
           {"nil": None, "bool": False, "negative": -1, "fractional": 3.5, "hugePositive": 9007199254740991}, "null|false|-1|3.5|9007199254740991",
           note="AWS renders null as the literal string \"null\"")
suite_case(FM, "017-format-serialized-mixed-probe-array", "intrinsic-format-json-probe", "States.Format('probe={}', States.JsonToString($.probe))",
           {"probe": [None, "", " ", 0, 1, True, False, [0, 1, False]]}, "probe=[null,\"\",\" \",0,1,true,false,[0,1,false]]")

SS = "States.StringSplit"
suite_case(SS, "SSP-01", "intrinsic-string-split-simple", "States.StringSplit($.str, ',')", {"str": "a,b,c"}, ["a", "b", "c"])
suite_case(SS, "SSP-02", "intrinsic-string-split-delimiter-set", "States.StringSplit($.str, $.delim)", {"str": "1+2,3.4", "delim": ".+,"}, ["1", "2", "3", "4"])
suite_case(SS, "SSP-04", "intrinsic-string-split-leading-delimiter", "States.StringSplit($.str, ',')", {"str": ",a,b"}, ["a", "b"], note="AWS drops the leading empty token")
suite_case(SS, "SSP-05", "intrinsic-string-split-trailing-delimiter", "States.StringSplit($.str, ',')", {"str": "a,b,"}, ["a", "b"], note="AWS drops the trailing empty token")
suite_case(SS, "SSP-06", "intrinsic-string-split-delimiter-only", "States.StringSplit($.str, ',')", {"str": ","}, [], note="AWS drops the empty tokens")
suite_case(SS, "SSP-07", "intrinsic-string-split-empty-input", "States.StringSplit($.str, ',')", {"str": ""}, [], note="AWS returns no tokens for an empty string")
suite_case(SS, "SSP-17", "intrinsic-string-split-dot", "States.StringSplit($.str, '.')", {"str": "a.b.c"}, ["a", "b", "c"])
suite_case(SS, "SSP-18", "intrinsic-string-split-plus", "States.StringSplit($.str, '+')", {"str": "a+b+c"}, ["a", "b", "c"])
suite_case(SS, "SSP-19", "intrinsic-string-split-pipe", "States.StringSplit($.str, '|')", {"str": "a|b|c"}, ["a", "b", "c"])
suite_case(SS, "SSP-24", "intrinsic-string-split-nested-format", "States.StringSplit(States.Format('{}-{}', $.a, $.b), '-')", {"a": "x", "b": "y"}, ["x", "y"])
suite_case(SS, "SSP-26", "intrinsic-string-split-mixed-values", "States.StringSplit($.str, ',')", {"str": "null,, ,-1,1.5,-9007199254740991,9007199254740991,true,false,[0,1,false]"},
           ["null", " ", "-1", "1.5", "-9007199254740991", "9007199254740991", "true", "false", "[0", "1", "false]"], note="AWS drops the empty token between adjacent commas")
suite_fail(SS, "SSP-10", "intrinsic-string-split-number-arg", "States.StringSplit($.val, ',')", {"val": 123})
suite_fail(SS, "SSP-11", "intrinsic-string-split-number-delimiter", "States.StringSplit($.str, $.d)", {"str": "a,b", "d": 1})
suite_fail(SS, "SSP-12", "intrinsic-string-split-null-arg", "States.StringSplit($.str, $.d)", {"str": None, "d": ","})
suite_fail(SS, "SSP-13", "intrinsic-string-split-null-delimiter", "States.StringSplit($.str, $.d)", {"str": "a,b", "d": None})
suite_fail(SS, "SSP-27", "intrinsic-string-split-boolean-arg", "States.StringSplit($.str, ',')", {"str": False})
suite_fail(SS, "SSP-28", "intrinsic-string-split-array-delimiter", "States.StringSplit($.str, $.d)", {"str": "a,b", "d": [","]})


JM = "States.JsonMerge"
JM_ORDER = " Key order: the left object's keys in place, new keys of the right object appended, as in the AWS documentation example."
def jm(cid, name, inp, out, expr="States.JsonMerge($.a, $.b, false)", note=""):
    suite_case(JM, cid, name, expr, inp, out, note=(note + JM_ORDER).strip())
jm("JMG-01", "intrinsic-json-merge-disjoint", {"a": {"x": 1}, "b": {"y": 2}}, {"x": 1, "y": 2})
jm("JMG-02", "intrinsic-json-merge-collision", {"a": {"x": 1, "y": 2}, "b": {"y": 3, "z": 4}}, {"x": 1, "y": 3, "z": 4})
jm("JMG-03", "intrinsic-json-merge-left-empty", {"a": {}, "b": {"x": 1}}, {"x": 1})
jm("JMG-04", "intrinsic-json-merge-right-empty", {"a": {"x": 1}, "b": {}}, {"x": 1})
jm("JMG-05", "intrinsic-json-merge-shallow-nested", {"a": {"nested": {"a1": 1, "a2": 2}}, "b": {"nested": {"a3": 3}}}, {"nested": {"a3": 3}})
jm("JMG-06", "intrinsic-json-merge-arrays-replaced", {"a": {"list": [1, 2]}, "b": {"list": [3]}}, {"list": [3]})
jm("JMG-23", "intrinsic-json-merge-null-overwrites", {"a": {"nested": {"left": True}, "keep": 1}, "b": {"nested": None}}, {"nested": None, "keep": 1})
jm("JMG-24", "intrinsic-json-merge-object-overwrites-primitive", {"a": {"x": 1}, "b": {"x": {"new": True}}}, {"x": {"new": True}})
jm("JMG-17", "intrinsic-json-merge-context-defaults", {"a": {"value": 1}, "defaults": {"fallback": True, "value": 2}}, {"value": 2, "fallback": True},
   expr="States.JsonMerge($.a, $$.Execution.Input.defaults, false)")
jm("JMG-18", "intrinsic-json-merge-nested-string-to-json", {"a": "{\"left\":1}", "b": "{\"right\":2}"}, {"left": 1, "right": 2},
   expr="States.JsonMerge(States.StringToJson($.a), States.StringToJson($.b), false)")
jm("JMG-25", "intrinsic-json-merge-mixed-array", {"a": {"payload": "2024-01-01T00:00:00Z", "keep": "left"}, "b": {"payload": [None, "", " ", 0, 1, True, False, [0, 1, False]]}},
   {"payload": [None, "", " ", 0, 1, True, False, [0, 1, False]], "keep": "left"})
jm("JMG-26", "intrinsic-json-merge-fractional", {"a": {"payload": [1, 2, 3]}, "b": {"payload": -123.456}}, {"payload": -123.456})
jm("JMG-27", "intrinsic-json-merge-huge-negative", {"a": {"payload": {"nested": True}, "keep": "left"}, "b": {"payload": -9007199254740991}}, {"payload": -9007199254740991, "keep": "left"})
jm("JMG-13", "intrinsic-json-merge-string-deep-flag", {"a": {}, "b": {}, "deep": "false"}, {}, expr="States.JsonMerge($.a, $.b, $.deep)",
   note="AWS accepts a non-boolean deep flag and merges shallowly.")


# ---------------------------------------------------------------- JSONata
JSONATA_DOC = DOCS + "transforming-data.html"
def jsonata_pass(name, output, inp, out, src=JSONATA_DOC, **extra):
    st = {"Type": "Pass", "Output": output}
    st.update(extra)
    st["End"] = True
    case(name, {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": st}}, inp, src, output=out)

case("jsonata-arguments-and-variables", {"QueryLanguage": "JSONata", "StartAt": "Name", "States": {
        "Name": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "Build"},
        "Build": {"Type": "Pass", "Output": {"static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}", "not-evaluated": "$customerName"}, "End": True}}},
     {"title": "Doctor"}, JSONATA_DOC + " (the JSONPath-to-JSONata conversion example: strings without {% %} are not evaluated)",
     output={"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"})
jsonata_pass("jsonata-partition", "{% $partition([1,2,3,4], 2) %}", {}, [[1, 2], [3, 4]], JSONATA_DOC + " ($partition, a function Step Functions adds to JSONata)")
jsonata_pass("jsonata-range", "{% $range(0, 10, 2) %}", {}, [0, 2, 4, 6, 8, 10], JSONATA_DOC + " ($range with a step)")
jsonata_pass("jsonata-hash", "{% $hash('input data', 'SHA-256') %}", {}, hashlib.sha256(b"input data").hexdigest(), JSONATA_DOC + " ($hash)")
jsonata_pass("jsonata-parse", "{% $parse($states.input.s) %}", {"s": "{\"key\":\"value\"}"}, {"key": "value"}, JSONATA_DOC + " ($parse replaces $eval)")
jsonata_pass("jsonata-arithmetic-and-strings", {"sum": "{% $states.input.a + $states.input.b %}", "greeting": "{% 'Hello, ' & $states.input.name %}"},
             {"a": 2, "b": 3, "name": "Ada"}, {"sum": 5, "greeting": "Hello, Ada"}, "https://docs.jsonata.org/2.0.0/overview (numeric and string operators)")
jsonata_pass("jsonata-map-filter", "{% $states.input.items[price > 10].name %}",
             {"items": [{"name": "a", "price": 5}, {"name": "b", "price": 15}, {"name": "c", "price": 25}]}, ["b", "c"], "https://docs.jsonata.org/2.0.0/predicate (predicate filters)")
case("jsonata-choice-condition", {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.type = 'Private' %}", "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "Output": "matched", "End": True}, "No": {"Type": "Pass", "Output": "default", "End": True}}},
     {"type": "Private"}, CHOICE_DOC + " (JSONata Choice rules use Condition)", output="matched")
case("jsonata-output-undefined", {"QueryLanguage": "JSONata", "StartAt": "Transform", "States": {
        "Transform": {"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}, "End": True}}},
     {"present": 1}, "Public record of a real AWS run quoted in an emulator's tests: States.QueryEvaluationError, \"An error occurred while executing the state 'Transform' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).\"",
     status="FAILED", error="States.QueryEvaluationError",
     cause=prefix("Transform", 2) + "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).")


# ---------------------------------------------------------------- AWS-run feature suite: Choice type tests, Map
FEATURE = "Public conformance suite of a Step Functions emulator (cases run against AWS), %s"
for cid, op, val in [("Choice.IsNumeric 009", "IsNumeric", True), ("Choice.IsNumeric 008", "IsNumeric", False)]:
    case("choice-%s-%s-missing-path" % (op.lower(), str(val).lower()),
         sm({"C": {"Type": "Choice", "Choices": [{"Variable": "$.missing", op: val, "Next": "Yes"}], "Default": "No"},
             **passthru("Yes", Result="matched"), **passthru("No", Result="default")}),
         {"value": 1}, FEATURE % (cid + ": AWS treats a missing Variable path as a runtime error even when Default is present; only IsPresent tolerates it"),
         status="FAILED", error="States.Runtime",
         cause=prefix("C", 2) + "Invalid path '$.missing': The choice state's condition path references an invalid value.")
case("map-items-path-selects-array", sm({"IterateSelected": {"Type": "Map", "ItemsPath": "$.selected", "Iterator": {"StartAt": "ReturnItem", "States": passthru("ReturnItem")}, "End": True}}),
     {"selected": ["sku-1", "sku-2", "sku-3"], "ignored": ["skip-me"]}, FEATURE % "Map.State 001", output=["sku-1", "sku-2", "sku-3"])
case("map-result-path-nested", sm({"Summarize": {"Type": "Map", "ItemsPath": "$.todo", "ResultPath": "$.summary.processed",
                                                 "Iterator": {"StartAt": "ProjectTask", "States": passthru("ProjectTask", Parameters={"task.$": "$.task", "completed.$": "$.done"})}, "End": True}}),
     {"requestId": "req-7", "todo": [{"task": "pack", "done": False}, {"task": "ship", "done": True}], "summary": {"count": 2}}, FEATURE % "Map.State 004",
     output={"requestId": "req-7", "todo": [{"task": "pack", "done": False}, {"task": "ship", "done": True}],
             "summary": {"count": 2, "processed": [{"task": "pack", "completed": False}, {"task": "ship", "completed": True}]}})
case("map-item-selector-with-iterator", sm({"AnnotateItems": {"Type": "Map", "ItemsPath": "$.colors",
                                                             "ItemSelector": {"position.$": "$$.Map.Item.Index", "color.$": "$$.Map.Item.Value", "region.$": "$.region"},
                                                             "Iterator": {"StartAt": "EchoAnnotatedItem", "States": passthru("EchoAnnotatedItem")}, "End": True}}),
     {"region": "eu-west-1", "colors": ["red", "blue", "green"]}, FEATURE % "Map.State 008 (ItemSelector together with the legacy Iterator)",
     output=[{"position": 0, "color": "red", "region": "eu-west-1"}, {"position": 1, "color": "blue", "region": "eu-west-1"}, {"position": 2, "color": "green", "region": "eu-west-1"}])


# ---------------------------------------------------------------- Retry on Parallel and Map re-runs the whole state
case("parallel-retry-reruns-branches", sm({"P": {"Type": "Parallel", "Branches": [sm({"T": task()}), sm(passthru("B", Result="b"))],
                                               "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1}], "End": True}}),
     {}, PARALLEL_DOC + " (a Retry on a Parallel state runs every branch again) and " + MOCK_DOC + " (invocations counted per state across the execution)",
     output=["second try", "b"], mock=mock_of({"T": {"0": {"Throw": {"Error": "Flaky", "Cause": "first try"}}, "1": {"Return": "second try"}}}))
case("map-retry-reruns-iterations", sm({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {"StartAt": "T", "States": {"T": task()}},
                                            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}], "End": True}}),
     [1, 2], MAP_DOC + " (a Retry on a Map state runs the iterations again; MaxConcurrency 1 keeps the mock order) and " + MOCK_DOC,
     output=["r1", "r2"], mock=mock_of({"T": {"0": {"Return": "first"}, "1": {"Throw": {"Error": "Flaky", "Cause": "second item fails once"}}, "2": {"Return": "r1"}, "3": {"Return": "r2"}}}))


# ---------------------------------------------------------------- execution-level bounds (real AWS, quoted verbatim in floci-io/floci issues #2733 and #2734)
case("execution-timeout-seconds", {"StartAt": "W", "TimeoutSeconds": 3, "States": {"W": {"Type": "Wait", "Seconds": 25, "End": True}}}, {},
     "https://github.com/floci-io/floci/issues/2733 (DescribeExecution on real AWS for {\"StartAt\":\"W\",\"TimeoutSeconds\":3,...Wait 25}: status TIMED_OUT, error and cause absent; States.Timeout only in the history event)",
     status="TIMED_OUT", error="", cause="")
case("execution-history-limit", sm({"Spin": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": False, "Next": "Spin"}], "Default": "Done"}, "Done": {"Type": "Succeed"}}),
     {}, "https://github.com/floci-io/floci/issues/2734 (a Choice looping forever on real AWS ends FAILED States.Runtime 'The execution reached the maximum number of history events (25000).'; event 25,000 is the ExecutionFailed event)",
     status="FAILED", error="States.Runtime", cause="The execution reached the maximum number of history events (25000).")


# ---------------------------------------------------------------- more real-AWS records from floci-io/floci issues
case("parallel-branch-parameters-missing-path", sm({"P": {"Type": "Parallel", "Branches": [sm(passthru("Fast", Parameters={"m.$": "$.nope"}))], "End": True}}),
     {"x": "a"}, "https://github.com/floci-io/floci/issues/2868 (real AWS history: 1 ExecutionStarted, 2 ParallelStateEntered P, 3 ParallelStateStarted, 4 PassStateEntered Fast, 5 ExecutionFailed with cause \"An error occurred while executing the state 'Fast' (entered at the event id #4). The JSONPath '$.nope' ...\")",
     status="FAILED", error="States.Runtime",
     cause=prefix("Fast", 4) + "The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '{\"x\":\"a\"}'")
case("choice-input-path", sm({"C": {"Type": "Choice", "InputPath": "$.attributes", "Choices": [{"Variable": "$.tutor", "IsPresent": True, "Next": "Found"}], "Default": "Missing"},
                               **passthru("Found", Result="Found"), **passthru("Missing", Result="Missing")}),
     {"attributes": {"tutor": {"user_id": 2, "user_name": "n"}}}, "https://github.com/floci-io/floci/issues/3258 (Choice honours InputPath: Step Functions Local and AWS take Found)",
     output="Found")
J2737 = "https://github.com/floci-io/floci/issues/2737 (measured against real AWS in us-east-1: %s fails the state with States.QueryEvaluationError)"
for name, expr, what in [("jsonata-eval-refused", "$eval(\"1+1\")", "$eval(\"1+1\") (T1006)"),
                         ("jsonata-format-number-bad-picture", "$formatNumber(1, \"x\")", "$formatNumber(1, \"x\") (D3086)"),
                         ("jsonata-range-memory-limit", "[1..900000] ~> $count()", "[1..900000] ~> $count() (memory limit)"),
                         ("jsonata-deep-expression", "+".join(["1"] * 200), "1+1+…+1 with 200 terms (stack overflow)")]:
    case(name, {"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass", "Output": {"r": "{% " + expr + " %}"}, "End": True}}},
         {}, J2737 % what, status="FAILED", error="States.QueryEvaluationError", check_cause=False)

case("parallel-branch-input-paths-result-path", sm({"Parallel": {"Type": "Parallel", "ResultPath": "$.result", "End": True, "Branches": [
        sm(passthru("First", InputPath="$.first")), sm(passthru("Second", InputPath="$.second"))]}}),
     {"first": 1, "second": 2}, PARALLEL_DOC + " (each branch gets a copy of the input; the array of branch outputs goes to ResultPath) — the example of https://github.com/ChristopheBougere/stepfunctions-local/pull/51",
     output={"first": 1, "second": 2, "result": [1, 2]})


BD = "States.Base64Decode"
suite_case(BD, "B64D-001", "intrinsic-base64-decode-hello", "States.Base64Decode('aGVsbG8=')", {}, "hello")
suite_case(BD, "B64D-002", "intrinsic-base64-decode-empty", "States.Base64Decode('')", {}, "")
suite_case(BD, "B64D-004", "intrinsic-base64-decode-checkmark", "States.Base64Decode('4pyT')", {}, "\u2713")
suite_case(BD, "B64D-005", "intrinsic-base64-decode-japanese", "States.Base64Decode('44GT44KT44Gr44Gh44Gv')", {}, "\u3053\u3093\u306b\u3061\u306f")
suite_case(BD, "B64D-021", "intrinsic-base64-decode-padded", "States.Base64Decode('YWJjZA==')", {}, "abcd")
suite_case(BD, "B64D-022", "intrinsic-base64-decode-space", "States.Base64Decode('IA==')", {}, " ")
suite_case(BD, "B64D-023", "intrinsic-base64-decode-nul", "States.Base64Decode($.s)", {"s": "YWJjAGRlZg=="}, "abc\u0000def")
suite_case(BD, "B64D-029", "intrinsic-base64-decode-round-trip", "States.Base64Decode(States.Base64Encode($.s))", {"s": "hello"}, "hello")
suite_case(BD, "B64D-030", "intrinsic-base64-decode-format", "States.Base64Decode(States.Format('{}', $.b64))", {"b64": "aGVsbG8="}, "hello")
suite_fail(BD, "B64D-008", "intrinsic-base64-decode-too-long", "States.Base64Decode($.s)", {"s": "A" * 10001})
suite_fail(BD, "B64D-009", "intrinsic-base64-decode-number", "States.Base64Decode(123)", {})
suite_fail(BD, "B64D-012", "intrinsic-base64-decode-object", "States.Base64Decode($.obj)", {"obj": {}})
suite_fail(BD, "B64D-014", "intrinsic-base64-decode-extra-arg", "States.Base64Decode('aGVsbG8=', 'extra')", {})
suite_fail(BD, "B64D-032", "intrinsic-base64-decode-missing-path", "States.Base64Decode($.missing)", {}, contains="could not be found in the input '{}'")


HS = "States.Hash"
def h(alg, data):
    return {"MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}[alg](data.encode()).hexdigest()
for cid, alg in [("HASH-001", "MD5"), ("HASH-002", "SHA-1"), ("HASH-003", "SHA-256"), ("HASH-004", "SHA-384"), ("HASH-005", "SHA-512")]:
    suite_case(HS, cid, "intrinsic-hash-hello-" + alg.lower().replace("-", ""), "States.Hash('hello', '%s')" % alg, {}, h(alg, "hello"))
suite_case(HS, "HASH-007", "intrinsic-hash-empty", "States.Hash('', 'SHA-256')", {}, h("SHA-256", ""))
suite_case(HS, "HASH-009", "intrinsic-hash-japanese", "States.Hash($.s, 'SHA-256')", {"s": "\u3053\u3093\u306b\u3061\u306f"}, h("SHA-256", "\u3053\u3093\u306b\u3061\u306f"))
suite_case(HS, "HASH-010", "intrinsic-hash-nul", "States.Hash($.s, 'MD5')", {"s": "abc\u0000def"}, h("MD5", "abc\u0000def"))
suite_case(HS, "HASH-012", "intrinsic-hash-10000-chars", "States.Hash($.s, 'SHA-256')", {"s": "a" * 10000}, h("SHA-256", "a" * 10000))
suite_case(HS, "HASH-033", "intrinsic-hash-path-algorithm", "States.Hash($.s, $.algo)", {"s": "Data to encode", "algo": "MD5"}, h("MD5", "Data to encode"))
suite_case(HS, "HASH-034", "intrinsic-hash-nested-format", "States.Hash(States.Format('{}:{}', $.a, $.b), 'SHA-256')", {"a": "x", "b": "y"}, h("SHA-256", "x:y"))
suite_case(HS, "HASH-038", "intrinsic-hash-astral", "States.Hash('\U0001F680', 'SHA-256')", {}, h("SHA-256", "\U0001F680"))
suite_fail(HS, "HASH-013", "intrinsic-hash-10001-chars", "States.Hash($.s, 'SHA-256')", {"s": "a" * 10001})
suite_fail(HS, "HASH-018", "intrinsic-hash-number-algorithm", "States.Hash('hello', 123)", {})
suite_fail(HS, "HASH-022", "intrinsic-hash-one-arg", "States.Hash('hello')", {})
suite_fail(HS, "HASH-024", "intrinsic-hash-unsupported-algorithm", "States.Hash('data', 'UNSUPPORTED')", {})
suite_fail(HS, "HASH-025", "intrinsic-hash-lowercase-algorithm", "States.Hash('data', 'sha-256')", {})
suite_fail(HS, "HASH-026", "intrinsic-hash-hyphenless-algorithm", "States.Hash('data', 'SHA256')", {})
suite_fail(HS, "HASH-036", "intrinsic-hash-missing-path", "States.Hash($.missing, 'SHA-256')", {}, contains="could not be found in the input '{}'")


import base64 as _b64
BE = "States.Base64Encode"
def b64(x):
    return _b64.b64encode(x.encode()).decode()
suite_case(BE, "B64E-001", "intrinsic-base64-encode-hello", "States.Base64Encode('hello')", {}, "aGVsbG8=")
suite_case(BE, "B64E-002", "intrinsic-base64-encode-empty", "States.Base64Encode('')", {}, "")
suite_case(BE, "B64E-004", "intrinsic-base64-encode-checkmark", "States.Base64Encode($.s)", {"s": "\u2713"}, "4pyT")
suite_case(BE, "B64E-006", "intrinsic-base64-encode-newlines", "States.Base64Encode($.s)", {"s": "line1\nline2"}, "bGluZTEKbGluZTI=")
suite_case(BE, "B64E-007", "intrinsic-base64-encode-nul", "States.Base64Encode($.s)", {"s": "abc\u0000def"}, "YWJjAGRlZg==")
suite_case(BE, "B64E-009", "intrinsic-base64-encode-10000-chars", "States.Base64Encode($.s)", {"s": "a" * 10000}, b64("a" * 10000))
suite_case(BE, "B64E-018", "intrinsic-base64-encode-nested-format", "States.Base64Encode(States.Format('{}-{}', $.a, $.b))", {"a": "x", "b": "y"}, "eC15")
suite_case(BE, "B64E-022", "intrinsic-base64-encode-astral", "States.Base64Encode('\U0001F680')", {}, "8J+agA==")
suite_fail(BE, "B64E-010", "intrinsic-base64-encode-10001-chars", "States.Base64Encode($.s)", {"s": "a" * 10001})
suite_fail(BE, "B64E-011", "intrinsic-base64-encode-number", "States.Base64Encode(123)", {})
suite_fail(BE, "B64E-015", "intrinsic-base64-encode-array", "States.Base64Encode($.arr)", {"arr": ["x"]})
suite_fail(BE, "B64E-017", "intrinsic-base64-encode-extra-arg", "States.Base64Encode('a', 'b')", {})
suite_fail(BE, "B64E-020", "intrinsic-base64-encode-missing-path", "States.Base64Encode($.missing)", {}, contains="could not be found in the input '{}'")

AL = "States.ArrayLength"
suite_case(AL, "AL-001", "intrinsic-array-length-empty", "States.ArrayLength($.arr)", {"arr": []}, 0)
suite_case(AL, "AL-004", "intrinsic-array-length-nested", "States.ArrayLength($.arr)", {"arr": [[1], [2], [3]]}, 3)
suite_case(AL, "AL-006", "intrinsic-array-length-empty-call", "States.ArrayLength(States.Array())", {}, 0)
suite_case(AL, "AL-008", "intrinsic-array-length-context", "States.ArrayLength($$.Execution.Input.items)", {"items": [1, 2, 3]}, 3)
suite_case(AL, "AL-017", "intrinsic-array-length-1000", "States.ArrayLength($.arr)", {"arr": list(range(1000))}, 1000)
suite_fail(AL, "AL-009", "intrinsic-array-length-string", "States.ArrayLength('not-array')", {})
suite_fail(AL, "AL-012", "intrinsic-array-length-object", "States.ArrayLength($.obj)", {"obj": {"k": 1}})


# ---------------------------------------------------------------- issue 16: the last gaps to AWS
PATHS_DOC = DOCS + "amazon-states-language-paths.html"
LS_SNAP = "the AWS-recorded snapshot of a public emulator's test suite (localstack, tests/aws/services/stepfunctions/v2/%s)"

# Indefinite paths are evaluated leniently in templates; definite ones still fail.
case("params-indefinite-paths-select-nothing", sm(passthru("P", Parameters={"all.$": "$.items[*]", "tail.$": "$.items[1:]", "vs.$": "$.a.items[:1].v", "f.$": "$.xs[?(@.on)]"})),
     {"a": {}}, PATHS_DOC + " (Parameters paths are Jayway JsonPath; a wildcard, slice or filter that cannot be followed selects nothing and the field is [], as observed on AWS)",
     output={"all": [], "tail": [], "vs": [], "f": []})
case("params-indefinite-paths-on-non-arrays", sm(passthru("P", Parameters={"all.$": "$.items[*]", "tail.$": "$.items[1:]", "vs.$": "$.a.items[:1].v"})),
     {"items": {"k": 1}, "a": {"items": 5}}, PATHS_DOC + " (a wildcard over an object selects its values; a slice of a non-array selects nothing, [])",
     output={"all": [1], "tail": [], "vs": []})
case("item-selector-indefinite-path-selects-nothing", sm({"M": {"Type": "Map", "ItemSelector": {"v.$": "$$.Map.Item.Value", "rest.$": "$.missing[*].x"},
                                                                "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     {"xs": [1, 2]}, MAP_DOC + " and " + PATHS_DOC + " (ItemSelector paths are evaluated like Parameters: an indefinite path that matches nothing is [])",
     output=[{"v": 1, "rest": []}, {"v": 2, "rest": []}])
intrinsic_case("intrinsic-indefinite-path-argument-selects-nothing", "States.ArrayLength($.items[*])", {"other": 1}, 0,
               PATHS_DOC + " and " + INTRINSIC_DOC + " (an intrinsic's path argument is a Jayway path too; an indefinite one that cannot be followed is [])")
case("params-definite-path-missing-still-fails", sm(passthru("P", Parameters={"x.$": "$.a.b"})), {"a": {}},
     INPUTPATH_DOC + " (a definite path that selects nothing fails the state)",
     status="FAILED", error="States.Runtime", cause=prefix("P", 2) + "The JSONPath '$.a.b' specified for the field 'x.$' could not be found in the input '{\"a\":{}}'")

# Map item lists.
def jmap(items, inp):
    return {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "Items": items, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}
ITEMS_SRC = MAP_DOC + " (Items must evaluate to a JSON array); the cause as recorded on AWS in a public report: \"The JSONata expression '$restorableJobs' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object'\""
for name, expr, inp, typ, val in [("number", "$states.input.n", {"n": 1}, "number", "1"),
                                  ("object", "$states.input.o", {"o": {"a": 1}}, "object", "{\"a\":1}"),
                                  ("string", "$states.input.s", {"s": "x"}, "string", "\"x\""),
                                  ("null", "$states.input.z", {"z": None}, "null", "null"),
                                  ("boolean", "$states.input.b", {"b": True}, "boolean", "true")]:
    case("map-jsonata-items-" + name, jmap("{% " + expr + " %}", inp), inp, ITEMS_SRC, status="FAILED", error="States.QueryEvaluationError",
         cause=prefix("M", 2) + "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s" % (expr, typ, val))
case("map-jsonata-items-function", jmap("{% $sum %}", {}), {}, MAP_DOC + " (Items that evaluate to a function: \"... returned an unsupported result type.\")",
     status="FAILED", error="States.QueryEvaluationError", cause_contains="The JSONata expression '$sum' for the field 'Items' returned an unsupported result type.")
case("map-input-not-array", sm({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": passthru("P")}, "End": True}}),
     {"a": 1}, MAP_DOC + " (without ItemsPath the state input itself must be an array: \"Map state input must be an array but was: <value>\")",
     status="FAILED", error="States.Runtime", cause_contains="Map state input must be an array but was: {\"a\":1}")
case("map-jsonata-input-not-array", {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}},
     {"a": 1}, MAP_DOC + " (without Items the state input itself must be an array)",
     status="FAILED", error="States.QueryEvaluationError", cause_contains="Map state input must be an array but was: {\"a\":1}")

# The legacy Iterator accepts ProcessorConfig, inline or distributed.
for mode, cfg in [("inline", {"Mode": "INLINE"}), ("distributed", {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"})]:
    case("map-legacy-iterator-processor-config-" + mode, sm({"M": {"Type": "Map", "ItemsPath": "$.xs", "Iterator": {"ProcessorConfig": cfg, "StartAt": "P", "States": passthru("P", Parameters={"v.$": "$"})}, "End": True}}),
         {"xs": [1, 2]}, DOCS + "state-map.html (Iterator is the deprecated name of ItemProcessor; AWS still accepts it, with ProcessorConfig)",
         output=[{"v": 1}, {"v": 2}])

# JSONata Output on Choice rules and on the Choice state.
def jchoice(rule_output=None, state_output=None):
    rule = {"Condition": "{% $states.input.n > 1 %}", "Next": "Done"}
    if rule_output is not None:
        rule["Output"] = rule_output
    st = {"Type": "Choice", "Choices": [rule], "Default": "Done"}
    if state_output is not None:
        st["Output"] = state_output
    return {"QueryLanguage": "JSONata", "StartAt": "C", "States": {"C": st, "Done": {"Type": "Succeed"}}}
CHOICE_OUT = CHOICE_DOC + " and " + JSONATA_DOC + " (a JSONata Choice rule may set Output, used when the rule matches; the state's Output applies otherwise, and when Default is taken)"
case("choice-jsonata-rule-output", jchoice({"big": "{% $states.input.n %}"}, {"state": True}), {"n": 2}, CHOICE_OUT, output={"big": 2})
case("choice-jsonata-rule-output-default-uses-state-output", jchoice({"big": True}, {"state": "{% $states.input.n %}"}), {"n": 0}, CHOICE_OUT, output={"state": 0})
case("choice-jsonata-rule-without-output-uses-state-output", jchoice(None, {"state": True}), {"n": 2}, CHOICE_OUT, output={"state": True})
case("choice-jsonata-false-condition-no-output", jchoice({"big": True}), {"n": 0}, CHOICE_OUT + " (no Output: the input passes through)", output={"n": 0})
for cond, out in [(True, "Condition Output block"), (False, "Default Output block")]:
    case("choice-jsonata-output-blocks-%s" % str(cond).lower(), {"QueryLanguage": "JSONata", "StartAt": "ChoiceState", "States": {
            "ChoiceState": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.condition %}", "Next": "EndState", "Output": "Condition Output block"}],
                            "Default": "EndState", "Output": "Default Output block"},
            "EndState": {"Type": "Pass", "End": True}}},
         {"condition": cond}, CHOICE_OUT + "; the shape of an AWS-recorded test in " + LS_SNAP % "outputdecl (choice_condition_shared_next_jsonata)",
         output=out)
case("choice-jsonata-rule-output-undefined", jchoice({"v": "{% $states.input.missing %}"}), {"n": 2},
     "Public AWS records quoted in floci-io/floci issue #2665 (a rule's Output is named 'Choices[0]/Output/v' in the cause)",
     status="FAILED", error="States.QueryEvaluationError",
     cause=prefix("C", 2) + "The JSONata expression '$states.input.missing' specified for the field 'Choices[0]/Output/v' returned nothing (undefined).")

# Wait SecondsPath / TimestampPath causes.
WAIT_SRC = WAIT_DOC + " (SecondsPath must select a non-negative integer, TimestampPath an ISO-8601 timestamp); causes as recorded on AWS in " + LS_SNAP % "base (wait state tests)"
def wait_fail(name, field, path, inp, cause):
    case(name, sm({"W": {"Type": "Wait", field: path, "Next": "Done"}, **passthru("Done")}), inp, WAIT_SRC,
         status="FAILED", error="States.Runtime", cause=prefix("W", 2) + cause)
wait_fail("wait-seconds-path-negative", "SecondsPath", "$.s", {"s": -1}, "The SecondsPath parameter references a negative value: $.s == -1")
wait_fail("wait-seconds-path-decimal", "SecondsPath", "$.s", {"s": 1.5}, "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5")
wait_fail("wait-seconds-path-string", "SecondsPath", "$.s", {"s": "10"}, "The SecondsPath parameter cannot be parsed as a long value: $.s == 10")
wait_fail("wait-seconds-path-missing", "SecondsPath", "$.s", {}, "The SecondsPath parameter does not reference an input value: $.s")
wait_fail("wait-timestamp-path-invalid", "TimestampPath", "$.t", {"t": "tomorrow"},
          "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == tomorrow")
wait_fail("wait-timestamp-path-missing", "TimestampPath", "$.t", {}, "The TimestampPath parameter does not reference an input value: $.t")

# ErrorPath / CausePath that select nothing.
case("fail-error-path-missing", sm({"F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "c"}}), {"a": 1},
     FAIL_DOC + " (ErrorPath is a reference path into the input; one that selects nothing fails with States.Runtime in the wording of a missing Parameters path)",
     status="FAILED", error="States.Runtime", cause=prefix("F", 2) + "The JSONPath '$.e' specified for the field 'ErrorPath' could not be found in the input '{\"a\":1}'")
case("fail-cause-path-missing", sm({"F": {"Type": "Fail", "Error": "E", "CausePath": "$.detail.c"}}), {"detail": {}},
     FAIL_DOC + " (CausePath likewise)",
     status="FAILED", error="States.Runtime", cause=prefix("F", 2) + "The JSONPath '$.detail.c' specified for the field 'CausePath' could not be found in the input '{\"detail\":{}}'")

for field in ["TimeoutSecondsPath", "HeartbeatSecondsPath"]:
    extra = {"TimeoutSeconds": 100} if field == "HeartbeatSecondsPath" else {}
    case("task-%s-missing" % field.lower(), sm({"T": task(**{field: "$.NoSuch" + field}, Parameters={}, **extra)}), {"a": 1},
         DOCS + "state-task.html (%s is a reference path into the state input); the wording Step Functions uses for every reference-path field that selects nothing, as in the shape of an AWS-recorded test in " % field
         + LS_SNAP % "scenarios (invalid_jsonpath_in_%s)" % field.lower(),
         status="FAILED", error="States.Runtime",
         cause=prefix("T", 2) + "The JSONPath '$.NoSuch%s' specified for the field '%s' could not be found in the input '{\"a\":1}'" % (field, field),
         mock=mock_of({"T": {"0": {"Return": {}}}}))

# Bracket notation with escaped quotes.
case("jsonpath-bracket-escaped-quote", sm(passthru("P", InputPath="$['Test\\\"Name']", ResultPath="$['Out\\\"Name']", Parameters={"a.$": "$"})),
     {"Test\"Name": 5}, PATHS_DOC + " (bracket notation; a quote inside a quoted name is escaped with a backslash, as in Jayway JsonPath)",
     output={"Test\"Name": 5, "Out\"Name": {"a": 5}})
case("jsonpath-bracket-escaped-quote-missing", sm(passthru("P", Parameters={"a.$": "$['Test\\\"Name']"})),
     {"Test": 5}, PATHS_DOC + " (the path is quoted as written in the cause)",
     status="FAILED", error="States.Runtime", cause=prefix("P", 2) + "The JSONPath '$['Test\\\"Name']' specified for the field 'a.$' could not be found in the input '{\"Test\":5}'")

case("jsonpath-dot-before-bracket", sm({
        "State0": {"Type": "Pass", "Parameters": {"FromInput.$": "$.users[?(@.status == 0)]"}, "OutputPath": "$.FromInput", "Next": "State2"},
        "State2": {"Type": "Pass", "Parameters": {"InputValue.$": "$", "FromInput.$": "States.JsonToString($.[?(@.year <= 1998)])"}, "Next": "State3"},
        "State3": {"Type": "Pass", "InputPath": "$.InputValue", "OutputPath": "$.[?(@.year < 1999)].name", "End": True}}),
     {"users": [{"status": 0, "year": 1998, "name": "a"}, {"status": 0, "year": 1999, "name": "b"}, {"status": 1, "year": 1990, "name": "c"}]},
     PATHS_DOC + " (Jayway JsonPath accepts a dot before a bracket, $.[?(...)]; the shape of an AWS-recorded test in " + LS_SNAP % "base (pass_result_regex_json_path)" + ")",
     output=["a"])

# Map number paths that refer to variables.
case("map-paths-from-variables", sm({**passthru("A", Assign={"maxConcurrency": 1, "tolerated": 1, "percent": 50}, Next="M"),
                                     "M": {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrencyPath": "$maxConcurrency", "ToleratedFailureCountPath": "$tolerated",
                                           "ToleratedFailurePercentagePath": "$percent",
                                           "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "OK"},
                                                                                        "F": {"Type": "Fail", "Error": "E"}, **passthru("OK")}}, "End": True}}),
     {"xs": [1, 2, 3]}, VAR_DOC + " (a variable can be used wherever a reference path is accepted, such as MaxConcurrencyPath and ToleratedFailureCountPath)",
     output=[1, 3])

case("map-paths-from-string-variables", sm({"Start": {"Type": "Pass", "Assign": {"maxConcurrency": "1", "toleratedFailurePercentage": "1", "toleratedFailureCount": "1"},
                                                "Result": {"Values": [1, 2, 3]}, "Next": "MapState"},
                                      "MapState": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrencyPath": "$maxConcurrency",
                                                   "ToleratedFailurePercentagePath": "$toleratedFailurePercentage", "ToleratedFailureCountPath": "$toleratedFailureCount",
                                                   "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "HandleItem", "States": passthru("HandleItem")}, "End": True}}),
     {}, VAR_DOC + " (variables as MaxConcurrencyPath/ToleratedFailure*Path; a numeric string such as \"1\" is read as the number, as recorded on AWS in " + LS_SNAP % "assign (test_reference_in_map_state[MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH], recorded 2024-11-18)" + ")",
     output=[1, 2, 3])

# States.Format renders objects and arrays as Java collections.
intrinsic_case("intrinsic-format-object-java-style", "States.Format('{}', $.o)", {"o": {"Arg1": 1, "Arg2": []}}, "{Arg1=1, Arg2=[]}",
               INTRINSIC_DOC + " (States.Format prints an object argument as Java does: {Arg1=1, Arg2=[]}, observed on AWS)")
intrinsic_case("intrinsic-format-array-java-style", "States.Format('{} and {}', $.a, $.n)", {"a": [1, "x", {"k": None}, True, 2.5], "n": [[]]}, "[1, x, {k=null}, true, 2.5] and [[]]",
               INTRINSIC_DOC + " (arrays print as Java lists: strings without quotes, elements separated by ', ')")
intrinsic_case("intrinsic-format-context-object-java-style", "States.Format('{}', $$.Execution.Input)", {"b": {"c": "d"}, "a": [1]}, "{b={c=d}, a=[1]}",
               INTRINSIC_DOC + " and " + CTX_DOC + " (context-object values formatted into strings print as Java collections too)")

# The context object's shape, in both query languages.
KEYS = "{% $keys($states.input.ctx) %}"
case("context-object-shape", {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "Next": "K"},
        "K": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {
            "top": "{% $keys($states.input.ctx) %}", "execution": "{% $keys($states.input.ctx.Execution) %}",
            "state": "{% $keys($states.input.ctx.State) %}", "stateMachine": "{% $keys($states.input.ctx.StateMachine) %}",
            "redrive": "{% $states.input.ctx.Execution.RedriveCount %}", "name": "{% $states.input.ctx.State.Name %}",
            "jsonataTop": "{% $keys($states.context) %}", "jsonataState": "{% $keys($states.context.State) %}"}, "End": True}}},
     {"k": 1}, CTX_DOC + "; field order, and no RetryCount outside Task/Parallel/Map states, as recorded on AWS in " + LS_SNAP % "context_object (test_input_path[$$], recorded 2024-09-11)",
     output={"top": ["Execution", "StateMachine", "State"], "execution": ["Id", "Input", "StartTime", "Name", "RoleArn", "RedriveCount"],
             "state": ["Name", "EnteredTime"], "stateMachine": ["Id", "Name"], "redrive": 0, "name": "P",
             "jsonataTop": ["Execution", "StateMachine", "State"], "jsonataState": ["Name", "EnteredTime"]})
case("context-object-task-shape", {"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Arguments": {"FunctionName": LAMBDA_ARN, "Payload": {"token": "{% $states.context.Task.Token %}"}},
        "Output": {"state": "{% $keys($states.context.State) %}", "retries": "{% $states.context.State.RetryCount %}", "hasToken": "{% $exists($states.context.Task.Token) %}"}, "End": True}}},
     {}, CTX_DOC + " (a Task state's context has State.RetryCount and, for .waitForTaskToken, Task.Token)",
     output={"state": ["Name", "EnteredTime", "RetryCount"], "retries": 0, "hasToken": True},
     mock=mock_of({"T": {"0": {"Return": {"ok": True}}}}))

# Assign before Output, and single-value JSONata results.
case("jsonata-assign-evaluated-before-output", {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Pass", "Output": {"o": "{% $states.input.missingOutput %}"}, "Assign": {"a": "{% $states.input.missingAssign %}"}, "End": True}}},
     {}, VAR_DOC + " (Step Functions evaluates Assign, then Output; both see the variables as they were at state entry — so a failing Assign is the reported error)",
     status="FAILED", error="States.QueryEvaluationError",
     cause=prefix("P", 2) + "The JSONata expression '$states.input.missingAssign' specified for the field 'Assign/a' returned nothing (undefined).")
case("jsonata-assign-and-output-see-old-variables", {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"}, "Output": {"x": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}", "before": "{% $states.input.x %}"}, "End": True}}},
     {}, VAR_DOC + " (\"Assign ... all expressions are evaluated with the variable values as they were on state entry\"; Output does not see the state's own assignments)",
     output={"x": 2, "y": 1, "before": 1})
jsonata_pass("jsonata-single-element-range-is-a-value", {"one": "{% [1..1] %}", "two": "{% [1..2] %}", "literal": "{% [5] %}", "seq": "{% $states.input.xs[v > 1].v %}"},
             {"xs": [{"v": 1}, {"v": 2}]}, {"one": 1, "two": [1, 2], "literal": [5], "seq": 2},
             JSONATA_DOC + " (a JSONata sequence of one value is that value; observed on AWS for a one-element range too, while an array literal stays an array)")


def main():
    for entry in os.listdir(HERE):
        p = os.path.join(HERE, entry)
        if os.path.isdir(p):
            shutil.rmtree(p)
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        d = os.path.join(HERE, c["name"])
        os.makedirs(d)
        with open(os.path.join(d, "definition.asl.json"), "w") as f:
            json.dump(c["definition"], f, indent=2, ensure_ascii=False)
            f.write("\n")
        with open(os.path.join(d, "input.json"), "w") as f:
            # Compact, so a cause that quotes the raw execution input reads the
            # same whether an engine echoes the text as given or re-encodes it.
            json.dump(c["input"], f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        exp = {"source": c["source"], "status": c["status"], "output": c["output"] if c["status"] == "SUCCEEDED" else None,
               "error": c["error"]}
        if c["check_cause"]:
            exp["cause"] = c["cause"]
        if c["cause_contains"]:
            exp["causeContains"] = c["cause_contains"]
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(exp, f, indent=2, ensure_ascii=False)
            f.write("\n")
        if c["mock"]:
            with open(os.path.join(d, "mock.json"), "w") as f:
                json.dump(c["mock"], f, indent=2, ensure_ascii=False)
                f.write("\n")
    print(len(CASES), "cases")


if __name__ == "__main__":
    main()
