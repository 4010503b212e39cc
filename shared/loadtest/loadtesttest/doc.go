// Package loadtesttest is the contract suite every loadtest.Sink and
// loadtest.Source implementation must pass, so the directory store used
// locally and the DynamoDB store used on AWS behave the same. Implementation
// packages call TestStore from their own tests.
package loadtesttest
