package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// PutTaskToken stores a task token; CreatedAt is set from the clock when
// zero, and a zero ExpiresAt means it never expires. One alarm entry per
// name in tok.Alarms is written first and the token item last, so the token
// exists only once it can be found by alarm. Errors: release.ErrInvalid,
// release.ErrConflict when the token is already stored.
func (s *Store) PutTaskToken(ctx context.Context, tok release.TaskToken) error {
	if err := accept.TaskToken(tok); err != nil {
		return err
	}
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = s.now()
	}
	var existing tokenItem
	found, err := s.get(ctx, tokenKey(tok.Token), tokenSK(), &existing)
	if err != nil {
		return fmt.Errorf("put %s task token for release %s: %w", tok.Kind, tok.ReleaseID, err)
	}
	if found { // before touching its alarm entries
		return release.Errorf(release.ErrConflict, "put %s task token for release %s: already stored for release %s", tok.Kind, tok.ReleaseID, existing.ReleaseID)
	}
	base := newTokenItem(tok)
	for _, alarm := range tok.Alarms {
		it := base
		it.SK = alarmSK(alarm)
		it.Type = typeTokenAlarm
		it.GSI2PK, it.GSI2SK = alarmKey(alarm), tokenRefSK(tok.Token)
		if err := s.put(ctx, it, "", nil); err != nil {
			return fmt.Errorf("put task token for release %s: alarm %s: %w", tok.ReleaseID, alarm, err)
		}
	}
	it := base
	it.SK = tokenSK()
	it.GSI1PK, it.GSI1SK = releaseKey(tok.ReleaseID), tokenRefSK(tok.Token)
	err = s.put(ctx, it, "attribute_not_exists(PK)", nil)
	if conditionFailed(err) {
		return release.Errorf(release.ErrConflict, "put %s task token for release %s: already stored", tok.Kind, tok.ReleaseID)
	}
	if err != nil {
		return fmt.Errorf("put %s task token for release %s: %w", tok.Kind, tok.ReleaseID, err)
	}
	return nil
}

func newTokenItem(tok release.TaskToken) tokenItem {
	it := tokenItem{
		PK: tokenKey(tok.Token), Type: typeToken, Token: tok.Token, Kind: string(tok.Kind),
		ReleaseID: tok.ReleaseID, Pipeline: tok.Pipeline, Stage: tok.Stage, Wave: tok.Wave, Target: tok.Target,
		Alarms: tok.Alarms, Approvers: tok.Approvers, CreatedAt: formatTime(tok.CreatedAt),
	}
	if !tok.ExpiresAt.IsZero() {
		it.ExpiresAtMs = tok.ExpiresAt.UnixMilli()
		it.ExpiresAt = ttlSeconds(tok.ExpiresAt)
	}
	return it
}

func (it tokenItem) token() (release.TaskToken, error) {
	tok := release.TaskToken{
		Token: it.Token, Kind: release.TokenKind(it.Kind), ReleaseID: it.ReleaseID, Pipeline: it.Pipeline,
		Stage: it.Stage, Wave: it.Wave, Target: it.Target, Alarms: it.Alarms, Approvers: it.Approvers,
	}
	var err error
	if tok.CreatedAt, err = parseTime(it.CreatedAt); err != nil {
		return tok, fmt.Errorf("decode task token of release %s: createdAt: %w", it.ReleaseID, err)
	}
	if it.ExpiresAtMs != 0 {
		tok.ExpiresAt = time.UnixMilli(it.ExpiresAtMs).UTC()
	}
	return tok, nil
}

// expired reports whether the item's expiry has passed at now.
func (it tokenItem) expired(now time.Time) bool {
	return it.ExpiresAtMs != 0 && now.UnixMilli() >= it.ExpiresAtMs
}

// GetTaskToken returns a stored token. Errors: release.ErrNotFound;
// release.ErrExpired, with the token, when it is past ExpiresAt.
func (s *Store) GetTaskToken(ctx context.Context, token string) (release.TaskToken, error) {
	if token == "" {
		return release.TaskToken{}, release.Errorf(release.ErrInvalid, "get task token: token is required")
	}
	var it tokenItem
	found, err := s.get(ctx, tokenKey(token), tokenSK(), &it)
	if err != nil {
		return release.TaskToken{}, fmt.Errorf("get task token: %w", err)
	}
	if !found {
		return release.TaskToken{}, release.Errorf(release.ErrNotFound, "get task token: no such token")
	}
	tok, err := it.token()
	if err != nil {
		return release.TaskToken{}, err
	}
	if it.expired(s.now()) {
		return tok, release.Errorf(release.ErrExpired, "get %s task token of release %s: expired at %s", tok.Kind, tok.ReleaseID, formatTime(tok.ExpiresAt))
	}
	return tok, nil
}

// TokensByRelease returns every token stored for the release, expired ones
// included, oldest first. It reads an index, which on AWS lags writes
// slightly.
func (s *Store) TokensByRelease(ctx context.Context, releaseID string) ([]release.TaskToken, error) {
	if err := accept.Name("tokens by release", "release id", releaseID); err != nil {
		return nil, err
	}
	items, err := queryAll[tokenItem](ctx, s, &dynamodb.QueryInput{
		IndexName:              aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(releaseKey(releaseID)), ":prefix": str("TOKEN#"),
		},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("tokens by release %s: %w", releaseID, err)
	}
	return tokens(items, time.Time{})
}

// TokensByAlarm returns the unexpired tokens watching the alarm, oldest
// first. A token listed here may already be claimed by another caller: act
// on one only after winning DeleteTaskToken.
func (s *Store) TokensByAlarm(ctx context.Context, alarm string) ([]release.TaskToken, error) {
	if err := accept.Name("tokens by alarm", "alarm", alarm); err != nil {
		return nil, err
	}
	items, err := queryAll[tokenItem](ctx, s, &dynamodb.QueryInput{
		IndexName:                 aws.String(IndexGSI2),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(alarmKey(alarm))},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("tokens by alarm %s: %w", alarm, err)
	}
	return tokens(items, s.now())
}

// tokens decodes items, dropping those expired at now unless now is zero,
// and orders them by creation.
func tokens(items []tokenItem, now time.Time) ([]release.TaskToken, error) {
	out := make([]release.TaskToken, 0, len(items))
	for _, it := range items {
		if !now.IsZero() && it.expired(now) {
			continue
		}
		tok, err := it.token()
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	slices.SortStableFunc(out, func(a, b release.TaskToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// DeleteTaskToken removes a token, expired or not, and its alarm entries.
// The delete of the token item is conditional, so of any number of callers
// exactly one succeeds: the one that may act on the token. Errors:
// release.ErrNotFound for every other caller. Alarm entries left behind by a
// failure after the token item is gone are harmless (see TokensByAlarm) and
// expire with the token.
func (s *Store) DeleteTaskToken(ctx context.Context, token string) error {
	if token == "" {
		return release.Errorf(release.ErrInvalid, "delete task token: token is required")
	}
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(tokenKey(token), tokenSK()),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ReturnValues:        types.ReturnValueAllOld,
	})
	if conditionFailed(err) {
		return release.Errorf(release.ErrNotFound, "delete task token: no such token (already completed by another caller?)")
	}
	if err != nil {
		return fmt.Errorf("delete task token: %w", err)
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil // the token is ours; its alarm entries expire on their own
	}
	for _, alarm := range it.Alarms {
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(s.table),
			Key:       key(tokenKey(token), alarmSK(alarm)),
		})
		if err != nil {
			return nil // as above: harmless leftovers, and the caller won
		}
	}
	return nil
}
