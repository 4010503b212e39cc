// Package template reads template.yaml, the AWS SAM template, with its
// CloudFormation intrinsic-function tags, and its tests check the template
// against the code: every function builds and has a build target, every
// state machine definition validates with its substitutions, every rule
// pattern equals shared/rules and matches its samples, every IAM statement
// is least-privilege for what the function's code calls, and the table
// equals store.TableDefinition.
package template
