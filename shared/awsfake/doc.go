// Package awsfake provides small fake AWS services on httptest servers that
// speak the real wire protocols of the pinned aws-sdk-go-v2 clients: Lambda
// and EventBridge Scheduler (REST-JSON), Elastic Load Balancing v2 (awsquery
// with XML responses), CloudWatch (Smithy RPC v2 CBOR), and Step Functions,
// Secrets Manager, CodePipeline and EventBridge (AWS JSON). Each fake keeps
// just enough state to behave like the service, records every request it
// receives for assertions, and can inject throttling and server faults in
// the service's own error format, so tests exercise the real SDK clients,
// their serializers and their retryers. The adapters' contract suites also
// run against moto (shared/mototest), an independent implementation; the
// fakes stay for what moto cannot do: faults, RevisionId checks, the CBOR
// protocol, task tokens and CodePipeline jobs.
package awsfake
