// Package mototest gives tests an independent implementation of the AWS
// APIs: one moto_server process per test binary, on a free loopback port,
// started on first use and stopped when the binary's tests end. A package
// using it declares
//
//	func TestMain(m *testing.M) { mototest.Main(m) }
//
// (or wraps another runner with Around) and calls Shared or Config from its
// tests. A missing moto_server fails the test; it never skips. Moto keeps
// one account for every test, so tests name their resources uniquely
// (Name).
package mototest
