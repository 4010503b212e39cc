// Package resultdynamo stores load-test results in the single DynamoDB
// table, one item per task under the partition key LOADTEST#<run>, so the
// Fargate tasks of a run and the aggregator Lambda meet in one place. The
// item's attribute shapes are private to this package.
package resultdynamo
