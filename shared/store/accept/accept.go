// Package accept holds the input rules every release store applies before
// it writes: key components present and within MaxNameLen, leases of at
// least a millisecond, events with a type and JSON data, task tokens with
// a kind, specs named consistently, releases that validate. The DynamoDB
// store and memstore both call it, so they refuse the same requests with
// the same release.ErrInvalid-kind errors.
package accept

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shipwave/shipwave/shared/release"
)

// MaxNameLen bounds every caller-supplied string that goes into a key, well
// inside DynamoDB's 1024-byte sort key limit.
const MaxNameLen = 512

// Name rejects an empty or oversized key component; op and field name it
// in the error.
func Name(op, field, v string) error {
	switch {
	case v == "":
		return release.Errorf(release.ErrInvalid, "%s: %s is required", op, field)
	case len(v) > MaxNameLen:
		return release.Errorf(release.ErrInvalid, "%s: %s is %d bytes long, at most %d allowed", op, field, len(v), MaxNameLen)
	}
	return nil
}

// Lock checks the arguments of a lock operation.
func Lock(op, target, owner string, lease time.Duration) error {
	if err := Name(op, "target", target); err != nil {
		return err
	}
	if err := Name(op, "owner", owner); err != nil {
		return err
	}
	if lease < time.Millisecond {
		return release.Errorf(release.ErrInvalid, "%s %s: lease must be at least 1ms, got %s", op, target, lease)
	}
	return nil
}

// Event checks an event to append: a release id, a type, and data that is
// empty or valid JSON.
func Event(ev release.Event) error {
	if err := Name("append event", "release id", ev.ReleaseID); err != nil {
		return err
	}
	if ev.Type == "" {
		return release.Errorf(release.ErrInvalid, "append event to release %s: type is required", ev.ReleaseID)
	}
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return release.Errorf(release.ErrInvalid, "append %s event to release %s: data is not valid JSON", ev.Type, ev.ReleaseID)
	}
	return nil
}

// TaskToken checks a task token to store: the token, its release id, its
// kind and the names of the alarms it watches.
func TaskToken(tok release.TaskToken) error {
	if tok.Token == "" {
		return release.Errorf(release.ErrInvalid, "put task token: token is required")
	}
	if err := Name("put task token", "release id", tok.ReleaseID); err != nil {
		return err
	}
	if tok.Kind == "" {
		return release.Errorf(release.ErrInvalid, "put task token for release %s: kind is required", tok.ReleaseID)
	}
	for i, a := range tok.Alarms {
		if err := Name("put task token for release "+tok.ReleaseID, fmt.Sprintf("alarms[%d]", i), a); err != nil {
			return err
		}
	}
	return nil
}

// Spec returns the pipeline name a spec version is saved under (Pipeline,
// or else the parsed spec's name), checking the two agree.
func Spec(sv release.SpecVersion) (string, error) {
	name := sv.Pipeline
	if name == "" {
		name = sv.Parsed.Name
	}
	if err := Name("save spec", "pipeline", name); err != nil {
		return "", err
	}
	if sv.Parsed.Name != "" && sv.Parsed.Name != name {
		return "", release.Errorf(release.ErrInvalid, "save spec %s: parsed pipeline is named %q", name, sv.Parsed.Name)
	}
	return name, nil
}

// NewRelease checks a release to create and fills its defaults: an id from
// newID when it has none, and StatusPending when it has no status.
func NewRelease(r release.Release, newID func() string) (release.Release, error) {
	if err := Name("create release", "pipeline", r.Pipeline); err != nil {
		return release.Release{}, err
	}
	if err := Name("create release", "trigger key", r.Trigger.Key); err != nil {
		return release.Release{}, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	if r.Status == "" {
		r.Status = release.StatusPending
	}
	if err := r.Validate(); err != nil {
		return release.Release{}, fmt.Errorf("create release: %w", err)
	}
	if err := Name("create release", "id", r.ID); err != nil {
		return release.Release{}, err
	}
	return r, nil
}
