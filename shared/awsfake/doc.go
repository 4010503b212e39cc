// Package awsfake provides small fake AWS services on httptest servers that
// speak the real wire protocols of the pinned aws-sdk-go-v2 clients:
//   - Lambda and EventBridge Scheduler (REST-JSON);
//   - Elastic Load Balancing v2 (awsquery with XML responses);
//   - CloudWatch alarms (DescribeAlarms) and metrics (GetMetricStatistics
//     and GetMetricData), all Smithy RPC v2 CBOR;
//   - Step Functions (starts and task tokens), Secrets Manager, CodePipeline
//     jobs and EventBridge PutEvents (AWS JSON);
//   - JSONService, any AWS JSON service whose operations a test answers
//     itself (the CodeDeploy hook status).
//
// Each fake keeps just enough state to behave like the service and records
// every request it receives for assertions; every fake can be given a Fault
// (Inject), and Lambda, ELBv2 and CloudWatch also throttle or fail a named
// operation the given number of times in the service's own error format.
// Tests thus exercise the real SDK clients, their serializers and their
// retryers. The adapters' contract suites also run against moto
// (shared/mototest), an independent implementation; the fakes stay for what
// moto cannot do: faults, RevisionId checks, the CBOR protocol, task tokens
// and CodePipeline jobs. CodeCommit's GetDifferences and GetBranch are faked
// in the codecommit package's own tests.
package awsfake
