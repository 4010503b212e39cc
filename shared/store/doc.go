// Package store keeps Shipwave's state in one DynamoDB table.
package store
