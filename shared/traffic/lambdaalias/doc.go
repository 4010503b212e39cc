// Package lambdaalias shifts traffic on a Lambda alias: it publishes the
// candidate version and moves the alias's weighted routing
// (RoutingConfig.AdditionalVersionWeights) step by step, ending with the
// alias pointing at the candidate alone, or back at the stable version on
// rollback. It talks to Lambda through the aws-sdk-go-v2 client.
package lambdaalias
