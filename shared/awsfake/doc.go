// Package awsfake provides small fake AWS services on httptest servers that
// speak the real wire protocols of the pinned aws-sdk-go-v2 clients: Lambda
// (REST-JSON), Elastic Load Balancing v2 (awsquery with XML responses) and
// CloudWatch (Smithy RPC v2 CBOR). Each fake keeps just enough state to behave
// like the service, records every request it receives for assertions, and can
// inject throttling and server faults in the service's own error format, so
// tests exercise the real SDK clients, their serializers and their retryers.
package awsfake
