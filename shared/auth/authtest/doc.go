// Package authtest builds real signed requests for tests: an Alexa-style
// certificate authority whose chain is served over loopback HTTPS as if from
// s3.amazonaws.com, and Slack and GitHub signatures. It is imported only by
// tests.
package authtest
