// Package dynalitetest gives tests a real DynamoDB: one dynalite process per
// test binary, started on first use and stopped when the binary's tests end.
// A package using it declares
//
//	func TestMain(m *testing.M) { dynalitetest.Main(m) }
//
// and then calls Server, Client or Table from its tests (TableOn creates the
// same table on another DynamoDB, such as moto's). A test whose tables must
// be its alone starts its own process with Own. A missing dynalite binary
// fails the test (run `make test`, which installs it); it never skips.
package dynalitetest
