package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

const typeTarget = "target"

func targetKey(name string) string { return "TARGET#" + name }
func targetSK() string             { return "STATE" }

// targetItem is what a target serves: its last good version, the candidate
// in flight and its weight. It is written before traffic moves.
type targetItem struct {
	PK          string   `dynamodbav:"PK"`
	SK          string   `dynamodbav:"SK"`
	Type        string   `dynamodbav:"type"`
	Target      string   `dynamodbav:"target"`
	KnownGood   string   `dynamodbav:"knownGood,omitempty"`
	Good        []string `dynamodbav:"good,omitempty"`
	Stable      string   `dynamodbav:"stable"`
	Candidate   string   `dynamodbav:"candidate,omitempty"`
	Weight      int      `dynamodbav:"weight"`
	ReleaseID   string   `dynamodbav:"releaseId,omitempty"`
	Previous    string   `dynamodbav:"previous,omitempty"`
	Phase       string   `dynamodbav:"phase"`
	Stage       string   `dynamodbav:"stage,omitempty"`
	Wave        string   `dynamodbav:"wave,omitempty"`
	UpdatedAt   string   `dynamodbav:"updatedAt"`
	UpdatedAtMs int64    `dynamodbav:"updatedAtMs"`
}

// SwapTargetState writes next only if the stored state is still prev: the
// same phase, owning release and update time (prev with an empty Phase
// means no state is stored). Exactly one of several writers that read the
// same prev wins. Errors: release.ErrInvalid, release.ErrConflict when the
// stored state is no longer prev.
func (s *Store) SwapTargetState(ctx context.Context, prev, next release.TargetState) error {
	if prev.Target != "" && prev.Target != next.Target {
		return release.Errorf(release.ErrInvalid, "swap target state %s: prev is target %s", next.Target, prev.Target)
	}
	it, err := s.targetItem("swap target state", next)
	if err != nil {
		return err
	}
	cond := "attribute_not_exists(PK)"
	var values map[string]types.AttributeValue
	if prev.Phase != "" {
		if prev.ReleaseID != "" {
			cond = "phase = :phase AND updatedAtMs = :ms AND releaseId = :rel"
			values = map[string]types.AttributeValue{
				":phase": str(string(prev.Phase)), ":ms": num(prev.UpdatedAt.UnixMilli()), ":rel": str(prev.ReleaseID),
			}
		} else {
			cond = "phase = :phase AND updatedAtMs = :ms AND attribute_not_exists(releaseId)"
			values = map[string]types.AttributeValue{
				":phase": str(string(prev.Phase)), ":ms": num(prev.UpdatedAt.UnixMilli()),
			}
		}
	}
	err = s.put(ctx, it, cond, values)
	if conditionFailed(err) {
		return release.Errorf(release.ErrConflict, "swap target state %s: it changed since it was read", next.Target)
	}
	if err != nil {
		return fmt.Errorf("swap target state %s: %w", next.Target, err)
	}
	return nil
}

func (s *Store) targetItem(op string, ts release.TargetState) (targetItem, error) {
	if err := accept.Name(op, "target", ts.Target); err != nil {
		return targetItem{}, err
	}
	if ts.Phase == "" {
		return targetItem{}, release.Errorf(release.ErrInvalid, "%s %s: phase is required", op, ts.Target)
	}
	if ts.UpdatedAt.IsZero() {
		ts.UpdatedAt = s.now()
	}
	return targetItem{
		PK: targetKey(ts.Target), SK: targetSK(), Type: typeTarget, Target: ts.Target,
		KnownGood: ts.KnownGood, Good: ts.Good,
		Stable: ts.Stable, Candidate: ts.Candidate, Weight: ts.Weight, ReleaseID: ts.ReleaseID,
		Previous: ts.Previous, Phase: string(ts.Phase), Stage: ts.Stage, Wave: ts.Wave,
		UpdatedAt: formatTime(ts.UpdatedAt), UpdatedAtMs: ts.UpdatedAt.UnixMilli(),
	}, nil
}

// GetTargetState returns what a target serves. Errors: release.ErrNotFound
// for a target Shipwave never deployed.
func (s *Store) GetTargetState(ctx context.Context, target string) (release.TargetState, error) {
	if err := accept.Name("get target state", "target", target); err != nil {
		return release.TargetState{}, err
	}
	var it targetItem
	found, err := s.get(ctx, targetKey(target), targetSK(), &it)
	if err != nil {
		return release.TargetState{}, fmt.Errorf("get target state %s: %w", target, err)
	}
	if !found {
		return release.TargetState{}, release.Errorf(release.ErrNotFound, "target %s has no recorded state", target)
	}
	updated, _ := time.Parse(time.RFC3339Nano, it.UpdatedAt)
	known := it.KnownGood
	if known == "" && (it.Phase == string(release.PhaseStable) || it.Phase == string(release.PhaseRolledBack)) {
		known = it.Stable // written before knownGood existed
	}
	return release.TargetState{
		Target: it.Target, KnownGood: known, Good: it.Good, Stable: it.Stable, Candidate: it.Candidate, Weight: it.Weight, ReleaseID: it.ReleaseID,
		Previous: it.Previous, Phase: release.TargetPhase(it.Phase), Stage: it.Stage, Wave: it.Wave, UpdatedAt: updated,
	}, nil
}
