// Package jsonvalue holds decoded JSON the way Step Functions sees it: objects
// keep their key order (*Object), numbers keep their text (json.Number), and
// encoding is compact without HTML escaping. The engine, JSONPath, intrinsic
// functions and payload templates all pass values of these shapes:
// *Object, []any, json.Number, string, bool and nil.
package jsonvalue
