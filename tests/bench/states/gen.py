#!/usr/bin/env python3
"""Writes the reference definitions the States engine benchmarks run.

Each <name>.asl.json has a <name>.input.json. The Go benchmarks
(shared/states/bench_test.go) and states-vs-local-sfn.mjs read the same files.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
DEFS = {}

# Pass chain: 100 Pass states, each adding a field with Result/ResultPath.
states = {}
for i in range(100):
    st = {"Type": "Pass", "Result": i, "ResultPath": "$.last"}
    if i < 99:
        st["Next"] = "Pass%d" % (i + 1)
    else:
        st["End"] = True
    states["Pass%d" % i] = st
DEFS["pass-chain"] = ({"Comment": "100 Pass states in a row", "StartAt": "Pass0", "States": states}, {"id": "bench", "last": None})

# Choice chain: 50 Choice states, each evaluating And/Or/Not rules, then Pass.
states = {}
for i in range(50):
    nxt = "Choice%d" % (i + 1) if i < 49 else "Done"
    states["Choice%d" % i] = {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"},
        {"And": [{"Variable": "$.kind", "StringEquals": "order"},
                 {"Or": [{"Variable": "$.n", "NumericGreaterThanEquals": 10},
                         {"Not": {"Variable": "$.flag", "BooleanEquals": True}}]}],
         "Next": nxt}],
        "Default": "Negative"}
states["Negative"] = {"Type": "Fail", "Error": "Negative", "Cause": "n < 0"}
states["Done"] = {"Type": "Succeed"}
DEFS["choice-chain"] = ({"Comment": "50 Choice states in a row", "StartAt": "Choice0", "States": states}, {"kind": "order", "n": 42, "flag": True})

# Map over 1,000 items with an inline Pass that reshapes each item.
DEFS["map-1000"] = ({"Comment": "Map over 1,000 items", "StartAt": "Map", "States": {"Map": {
    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "Parameters": {"id.$": "$.id", "name.$": "$.name"}, "End": True}}},
    "ResultPath": "$.shaped", "OutputPath": "$.shaped[0]", "End": True}}},
    {"items": [{"id": i, "name": "item-%d" % i, "tags": ["a", "b"]} for i in range(1000)]})

# Parallel fan-out: 10 branches of 3 Pass states each.
branches = []
for b in range(10):
    branches.append({"StartAt": "B%dS0" % b, "States": {
        "B%dS0" % b: {"Type": "Pass", "Parameters": {"branch": b, "in.$": "$.value"}, "Next": "B%dS1" % b},
        "B%dS1" % b: {"Type": "Pass", "Result": "x", "ResultPath": "$.step", "Next": "B%dS2" % b},
        "B%dS2" % b: {"Type": "Pass", "OutputPath": "$.branch", "End": True}}})
DEFS["parallel-10"] = ({"Comment": "Parallel with 10 branches", "StartAt": "Fan", "States": {
    "Fan": {"Type": "Parallel", "Branches": branches, "End": True}}}, {"value": 7})

# Intrinsic-heavy Parameters: 10 Pass states, each with several intrinsics.
states = {}
for i in range(10):
    states["Intrinsic%d" % i] = {"Type": "Pass", "Parameters": {
        "greeting.$": "States.Format('Hello {}, you are number {}', $.name, $.n)",
        "n.$": "States.MathAdd($.n, 1)",
        "parts.$": "States.StringSplit($.csv, ',')",
        "count.$": "States.ArrayLength($.list)",
        "has.$": "States.ArrayContains($.list, 3)",
        "json.$": "States.JsonToString($.obj)",
        "b64.$": "States.Base64Encode($.name)",
        "name.$": "$.name", "csv.$": "$.csv", "list.$": "$.list", "obj.$": "$.obj"},
        **({"Next": "Intrinsic%d" % (i + 1)} if i < 9 else {"End": True})}
DEFS["intrinsics"] = ({"Comment": "Intrinsic-heavy Parameters", "StartAt": "Intrinsic0", "States": states},
                      {"name": "Ada", "n": 1, "csv": "a,b,c,d", "list": [1, 2, 3, 4, 5], "obj": {"k": "v", "n": [1, 2]}})

for name, (d, inp) in DEFS.items():
    with open(os.path.join(HERE, name + ".asl.json"), "w") as f:
        json.dump(d, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, name + ".input.json"), "w") as f:
        json.dump(inp, f, separators=(",", ":"))
        f.write("\n")
