// Package lambdatask runs Go Lambda handlers in-process as Task states. A
// handler is invoked through lambda.NewHandler, so its input and output take
// the same JSON round-trip as in the Lambda runtime, and a returned error
// becomes the Step Functions error the real service would report: the
// runtime's errorType as the name and its error JSON as the cause.
package lambdatask
