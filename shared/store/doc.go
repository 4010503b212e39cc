// Package store keeps Shipwave's state in one DynamoDB table (see
// TableDefinition: string keys PK/SK, overloaded indexes GSI1 and GSI2,
// on-demand billing, TTL on expiresAt). Every state change is a single-item
// conditional write, because dynalite has no transactions and because a
// transactional write costs twice as much on AWS; a lost condition surfaces
// as release.ErrConflict, ErrLocked, ErrNotFound or ErrExpired. Expiry is
// always checked on read: TTL is only AWS cleaning up.
//
// Item families ("type" attribute), with their keys:
//
//	spec         PK PIPELINE#<pipeline>       SK SPEC#<version, 10 digits>
//	             one per saved version; the latest is the last in the partition
//	pipeline     PK PIPELINES                 SK PIPELINE#<pipeline>
//	             registry for ListPipelines, with the latest version
//	sourceIndex  PK SOURCE#<repository|image> SK PIPELINE#<pipeline>
//	             PipelinesByRepository; rewritten per spec version
//	trigger      PK PIPELINE#<pipeline>       SK TRIGGER#<trigger key>
//	             claims a trigger for one release id; makes CreateRelease idempotent
//	release      PK RELEASE#<id>              SK RELEASE
//	             GSI1 PIPELINE#<pipeline> / RELEASE#<id>: newest first (ids are ULIDs)
//	             GSI2 ACTIVE#<pipeline> / RELEASE#<id>: only while not terminal
//	event        PK RELEASE#<id>              SK EVENT#<seq, 20 digits>
//	             the append-only log; seq 1.. with no gaps (conditional put)
//	lock         PK LOCK#<target>             SK LOCK
//	             owner, fence, leaseUntilMs; never deleted, so fence only grows
//	token        PK TOKEN#<sha256 of token>   SK TOKEN
//	             GSI1 RELEASE#<id> / TOKEN#<sha256>; deleting it claims the token
//	tokenAlarm   PK TOKEN#<sha256 of token>   SK ALARM#<alarm>
//	             GSI2 ALARM#<alarm> / TOKEN#<sha256>: a copy of the token per alarm
//	idempotency  PK IDEMPOTENCY#<key>         SK IDEMPOTENCY
//	             value and expiry; an expired key may be claimed again
//	synthetic    PK SYNTHETIC#<target>        SK SYNTHETIC
//	             the target's synthetic-traffic run: run id, sent (an atomic
//	             counter), stopped; a new run replaces it; TTL a day past it
//
// Timestamps are RFC 3339 UTC strings; expiresAt (TTL) is epoch seconds and
// expiresAtMs / leaseUntilMs epoch milliseconds. testdata/items.golden shows
// one item of each family as stored.
package store
