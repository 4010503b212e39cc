// Package mock reads the AWS Step Functions Local mock configuration format
// (StateMachines, TestCases, MockedResponses with "0" and "1-2" invocation
// keys, Return and Throw) and answers mocked Task states from it. A test case
// maps Task state names to mocked responses; states it does not name fall
// through to an inner task resolver, as Step Functions Local calls the real
// service for them.
package mock
