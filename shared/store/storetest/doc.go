// Package storetest is the store contract: one suite of behaviour tests —
// conditional writes and their error kinds, lease expiry against an injected
// clock, gap-free event sequences, idempotent release creation, token
// claims — that every store implementation runs (the DynamoDB store against
// dynalite in package store, the in-memory store in package memstore).
package storetest
