// Package httpapi is Shipwave's one HTTP API: the /v1 route table and the
// one mapping of error kinds to HTTP statuses. The AWS api function mounts
// it behind API Gateway's IAM authorizer (the caller is the verified IAM
// principal) and `shipwave local up` mounts it behind the stack's token
// guard (the token holder is the caller). What a place cannot do (the AWS
// stack has no local fleet to push to) is a capability left nil: its
// routes answer 501 and say so.
//
// The same handler serves the web dashboard (package dashboard) at /.
package httpapi
