// Package dynalite runs dynalite, the Node.js implementation of the DynamoDB
// API, as a child process on a free loopback port. Tests, other packages'
// test helpers and the local stack use it as their DynamoDB; each Server
// lives in its own process group so Close leaves no node processes behind.
// See package dynalitetest for the shared per-test-binary server.
package dynalite
