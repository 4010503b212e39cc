// Package payload compiles and applies payload templates: the Parameters,
// ResultSelector, ItemSelector and Assign fields whose ".$" keys are filled
// from paths, the context object, variables or intrinsic functions, and the
// JSONata-mode fields (Arguments, Output, Assign, ...) whose "{% %}" strings
// are JSONata expressions. Templates are validated once at load and applied
// on the engine's hot path.
package payload
