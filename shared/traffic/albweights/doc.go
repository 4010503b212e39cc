// Package albweights shifts traffic for ECS blue/green services behind an
// Application Load Balancer: the forward action of a listener's default
// actions, or of one listener rule, weights the blue and green target groups.
// Other actions and the rule's conditions are preserved, and an optional test
// listener sends all of its traffic to the candidate group while the shift
// is under way. It talks to ELBv2 through the aws-sdk-go-v2 client.
package albweights
