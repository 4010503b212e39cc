package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Item families: the value of every item's "type" attribute.
const (
	typeSpec        = "spec"
	typePipeline    = "pipeline"
	typeSourceIndex = "sourceIndex"
	typeTrigger     = "trigger"
	typeRelease     = "release"
	typeEvent       = "event"
	typeLock        = "lock"
	typeToken       = "token"
	typeTokenAlarm  = "tokenAlarm"
	typeIdempotency = "idempotency"
	typeSynthetic   = "synthetic"
)

// Key builders. Partition keys name the thing, sort keys the facet of it;
// numbers are zero-padded so they sort as strings.
func pipelineKey(p string) string    { return "PIPELINE#" + p }
func pipelinesKey() string           { return "PIPELINES" }
func specSK(version int) string      { return fmt.Sprintf("SPEC#%010d", version) }
func sourceKey(name string) string   { return "SOURCE#" + name }
func triggerSK(key string) string    { return "TRIGGER#" + key }
func releaseKey(id string) string    { return "RELEASE#" + id }
func releaseSK() string              { return "RELEASE" }
func releaseListSK(id string) string { return "RELEASE#" + id }
func activeKey(p string) string      { return "ACTIVE#" + p }
func eventSK(seq int64) string       { return fmt.Sprintf("EVENT#%020d", seq) }
func lockKey(target string) string   { return "LOCK#" + target }
func lockSK() string                 { return "LOCK" }
func tokenKey(token string) string   { return "TOKEN#" + tokenHash(token) }
func tokenSK() string                { return "TOKEN" }
func tokenRefSK(token string) string { return "TOKEN#" + tokenHash(token) }
func alarmSK(alarm string) string    { return "ALARM#" + alarm }
func alarmKey(alarm string) string   { return "ALARM#" + alarm }
func idempotencyKey(k string) string { return "IDEMPOTENCY#" + k }
func idempotencySK() string          { return "IDEMPOTENCY" }

// EventOfKeys returns the release id and sequence number that an event
// item's keys (PK and SK) name — the Keys of a DynamoDB stream record of
// the table — and ok false for the keys of any other item.
func EventOfKeys(pk, sk string) (releaseID string, seq int64, ok bool) {
	id, isRelease := strings.CutPrefix(pk, releaseKey(""))
	digits, isEvent := strings.CutPrefix(sk, "EVENT#")
	if !isRelease || !isEvent || id == "" || len(digits) != 20 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 1 || eventSK(n) != sk {
		return "", 0, false
	}
	return id, n, true
}

// tokenHash stands in for a task token in keys: tokens can be longer than a
// key may be.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// specItem is one stored version of a pipeline spec.
type specItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	Pipeline   string `dynamodbav:"pipeline"`
	Version    int    `dynamodbav:"version"`
	Source     []byte `dynamodbav:"source,omitempty"`
	Parsed     string `dynamodbav:"parsed"` // release.Pipeline as JSON
	Repository string `dynamodbav:"repository,omitempty"`
	Image      string `dynamodbav:"image,omitempty"`
	CreatedAt  string `dynamodbav:"createdAt"`
}

// pipelineItem registers a pipeline name for ListPipelines.
type pipelineItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Type          string `dynamodbav:"type"`
	Pipeline      string `dynamodbav:"pipeline"`
	LatestVersion int    `dynamodbav:"latestVersion"`
	UpdatedAt     string `dynamodbav:"updatedAt"`
}

// sourceIndexItem says a pipeline releases from a git or image repository.
type sourceIndexItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	Source      string `dynamodbav:"source"`
	Pipeline    string `dynamodbav:"pipeline"`
	SpecVersion int    `dynamodbav:"specVersion"`
}

// triggerItem claims a trigger key for one release of a pipeline.
type triggerItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	ReleaseID string `dynamodbav:"releaseId"`
	CreatedAt string `dynamodbav:"createdAt"`
}

// releaseItem is a release; GSI1 lists a pipeline's releases, GSI2 (set only
// while the status is not terminal) its active ones.
type releaseItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	GSI1PK      string `dynamodbav:"GSI1PK"`
	GSI1SK      string `dynamodbav:"GSI1SK"`
	GSI2PK      string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK      string `dynamodbav:"GSI2SK,omitempty"`
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	Pipeline    string `dynamodbav:"pipeline"`
	SpecVersion int    `dynamodbav:"specVersion"`
	Version     string `dynamodbav:"version,omitempty"`
	Status      string `dynamodbav:"status"`
	Reason      string `dynamodbav:"reason,omitempty"`
	Execution   string `dynamodbav:"execution,omitempty"`
	TriggerKey  string `dynamodbav:"triggerKey"`
	Trigger     string `dynamodbav:"trigger"` // release.Trigger as JSON
	CreatedAt   string `dynamodbav:"createdAt"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
}

// eventItem is one entry of a release's event log.
type eventItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	ReleaseID string `dynamodbav:"releaseId"`
	Seq       int64  `dynamodbav:"seq"`
	Time      string `dynamodbav:"time"`
	EventType string `dynamodbav:"eventType"`
	Stage     string `dynamodbav:"stage,omitempty"`
	Wave      string `dynamodbav:"wave,omitempty"`
	Target    string `dynamodbav:"target,omitempty"`
	Message   string `dynamodbav:"message,omitempty"`
	Data      string `dynamodbav:"data,omitempty"` // JSON
}

// lockItem is a target's lease. It is never deleted, so Fence only grows;
// a released lock has no owner. It carries no TTL attribute for that reason.
type lockItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	Target       string `dynamodbav:"target"`
	Owner        string `dynamodbav:"owner,omitempty"`
	Fence        int64  `dynamodbav:"fence"`
	LeaseUntilMs int64  `dynamodbav:"leaseUntilMs"`
	UpdatedAt    string `dynamodbav:"updatedAt"`
}

// tokenItem is a stored task token (SK "TOKEN", listed per release by GSI1)
// or one of its alarm entries (SK "ALARM#name", listed per alarm by GSI2).
type tokenItem struct {
	PK          string   `dynamodbav:"PK"`
	SK          string   `dynamodbav:"SK"`
	GSI1PK      string   `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK      string   `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK      string   `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK      string   `dynamodbav:"GSI2SK,omitempty"`
	Type        string   `dynamodbav:"type"`
	Token       string   `dynamodbav:"token"`
	Kind        string   `dynamodbav:"kind"`
	ReleaseID   string   `dynamodbav:"releaseId"`
	Pipeline    string   `dynamodbav:"pipeline,omitempty"`
	Stage       string   `dynamodbav:"stage,omitempty"`
	Wave        string   `dynamodbav:"wave,omitempty"`
	Target      string   `dynamodbav:"target,omitempty"`
	Alarms      []string `dynamodbav:"alarms,omitempty"`
	Approvers   []string `dynamodbav:"approvers,omitempty"`
	CreatedAt   string   `dynamodbav:"createdAt"`
	ExpiresAtMs int64    `dynamodbav:"expiresAtMs,omitempty"`
	ExpiresAt   int64    `dynamodbav:"expiresAt,omitempty"` // TTL, epoch seconds
}

// idempotencyItem records that a key was claimed and with what value.
type idempotencyItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	Key         string `dynamodbav:"key"`
	Value       string `dynamodbav:"value"`
	CreatedAt   string `dynamodbav:"createdAt"`
	ExpiresAtMs int64  `dynamodbav:"expiresAtMs"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"` // TTL, epoch seconds
}
