// Package jsonata evaluates the JSONata expressions of states that use
// QueryLanguage JSONata ("{% ... %}" strings). It covers the core language —
// paths with predicates, operators, conditionals, blocks, variable binding,
// lambdas, array and object constructors — and the function library Step
// Functions exposes, including its $partition, $range, $hash, $random, $uuid
// and $parse additions. Values use the jsonvalue shapes.
package jsonata
