package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// saveAttempts bounds SaveSpec's retries when concurrent saves of the same
// pipeline take the version it chose.
const saveAttempts = 20

// SaveSpec stores sv as the pipeline's next version (one more than the
// latest, from 1) and returns it with Version and CreatedAt set; sv.Version
// is ignored. The pipeline name is sv.Pipeline or, when that is empty,
// sv.Parsed.Name. It also registers the pipeline for ListPipelines and
// indexes it under sv.Parsed.Source.Repository and .Image for
// PipelinesByRepository, dropping the entries of the version it replaces.
// Errors: release.ErrInvalid for a missing or mismatched name,
// release.ErrConflict if concurrent saves keep winning.
func (s *Store) SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error) {
	name, err := accept.Spec(sv)
	if err != nil {
		return release.SpecVersion{}, err
	}
	parsed, err := json.Marshal(sv.Parsed)
	if err != nil {
		return release.SpecVersion{}, fmt.Errorf("save spec %s: encode parsed pipeline: %w", name, err)
	}
	sv.Pipeline = name
	sv.CreatedAt = s.now().UTC()
	item := specItem{
		PK:         pipelineKey(name),
		Type:       typeSpec,
		Pipeline:   name,
		Source:     sv.Source,
		Parsed:     string(parsed),
		Repository: sv.Parsed.Source.Repository,
		Image:      imageRepository(sv.Parsed),
		CreatedAt:  formatTime(sv.CreatedAt),
	}
	var prev *specItem
	for attempt := 0; ; attempt++ {
		prev, err = s.latestSpec(ctx, name)
		if err != nil {
			return release.SpecVersion{}, fmt.Errorf("save spec %s: %w", name, err)
		}
		item.Version = 1
		if prev != nil {
			item.Version = prev.Version + 1
		}
		item.SK = specSK(item.Version)
		err = s.put(ctx, item, "attribute_not_exists(PK)", nil)
		if err == nil {
			break
		}
		if !conditionFailed(err) {
			return release.SpecVersion{}, fmt.Errorf("save spec %s version %d: %w", name, item.Version, err)
		}
		if attempt+1 == saveAttempts {
			return release.SpecVersion{}, release.Errorf(release.ErrConflict, "save spec %s: version %d was taken by a concurrent save %d times in a row", name, item.Version, saveAttempts)
		}
		if err := backoff(ctx, attempt); err != nil {
			return release.SpecVersion{}, fmt.Errorf("save spec %s: %w", name, err)
		}
	}
	sv.Version = item.Version

	if err := s.indexSpec(ctx, item, prev); err != nil {
		return sv, fmt.Errorf("save spec %s version %d: %w", name, item.Version, err)
	}
	return sv, nil
}

// indexSpec registers the pipeline and its sources after version item was
// stored, and removes source entries that only prev had.
func (s *Store) indexSpec(ctx context.Context, item specItem, prev *specItem) error {
	reg := pipelineItem{
		PK: pipelinesKey(), SK: pipelineKey(item.Pipeline), Type: typePipeline,
		Pipeline: item.Pipeline, LatestVersion: item.Version, UpdatedAt: item.CreatedAt,
	}
	err := s.put(ctx, reg, "attribute_not_exists(PK) OR latestVersion < :v",
		map[string]types.AttributeValue{":v": num(item.Version)})
	if err != nil && !conditionFailed(err) { // lost to a newer version: fine
		return fmt.Errorf("register pipeline: %w", err)
	}
	sources := specSources(&item)
	for _, src := range sources {
		idx := sourceIndexItem{
			PK: sourceKey(src), SK: pipelineKey(item.Pipeline), Type: typeSourceIndex,
			Source: src, Pipeline: item.Pipeline, SpecVersion: item.Version,
		}
		err := s.put(ctx, idx, "attribute_not_exists(PK) OR specVersion <= :v",
			map[string]types.AttributeValue{":v": num(item.Version)})
		if err != nil && !conditionFailed(err) {
			return fmt.Errorf("index source %s: %w", src, err)
		}
	}
	for _, src := range specSources(prev) {
		if slices.Contains(sources, src) {
			continue
		}
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 aws.String(s.table),
			Key:                       key(sourceKey(src), pipelineKey(item.Pipeline)),
			ConditionExpression:       aws.String("specVersion < :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(item.Version)},
		})
		if err != nil && !conditionFailed(err) {
			return fmt.Errorf("unindex source %s: %w", src, err)
		}
	}
	return nil
}

func specSources(it *specItem) []string {
	if it == nil {
		return nil
	}
	var out []string
	for _, src := range []string{it.Repository, it.Image} {
		if src != "" && len(src) <= maxNameLen && !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	return out
}

// latestSpec returns the pipeline's newest spec item, or nil if it has none.
func (s *Store) latestSpec(ctx context.Context, name string) (*specItem, error) {
	items, err := queryAll[specItem](ctx, s, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :spec)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pipelineKey(name)), ":spec": str("SPEC#"),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(1),
		ConsistentRead:   aws.Bool(true),
	}, 1)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return &items[0], nil
}

// GetSpec returns version of the pipeline's spec; version 0 means the
// latest. Errors: release.ErrNotFound when there is no such version.
func (s *Store) GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error) {
	if err := accept.Name("get spec", "pipeline", pipeline); err != nil {
		return release.SpecVersion{}, err
	}
	if version < 0 {
		return release.SpecVersion{}, release.Errorf(release.ErrInvalid, "get spec %s: version %d is negative", pipeline, version)
	}
	var item specItem
	if version == 0 {
		latest, err := s.latestSpec(ctx, pipeline)
		if err != nil {
			return release.SpecVersion{}, fmt.Errorf("get spec %s: %w", pipeline, err)
		}
		if latest == nil {
			return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "get spec %s: pipeline has no spec", pipeline)
		}
		item = *latest
	} else {
		found, err := s.get(ctx, pipelineKey(pipeline), specSK(version), &item)
		if err != nil {
			return release.SpecVersion{}, fmt.Errorf("get spec %s version %d: %w", pipeline, version, err)
		}
		if !found {
			return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "get spec %s version %d: no such version", pipeline, version)
		}
	}
	return item.spec()
}

func (it specItem) spec() (release.SpecVersion, error) {
	sv := release.SpecVersion{Pipeline: it.Pipeline, Version: it.Version, Source: it.Source}
	if err := json.Unmarshal([]byte(it.Parsed), &sv.Parsed); err != nil {
		return sv, fmt.Errorf("decode spec %s version %d: %w", it.Pipeline, it.Version, err)
	}
	var err error
	if sv.CreatedAt, err = parseTime(it.CreatedAt); err != nil {
		return sv, fmt.Errorf("decode spec %s version %d: createdAt: %w", it.Pipeline, it.Version, err)
	}
	return sv, nil
}

// PipelinesByRepository returns, sorted, the pipelines whose latest spec
// releases from repo, as its git source repository or its image (ECR)
// repository. Callers still match the trigger against each spec.
func (s *Store) PipelinesByRepository(ctx context.Context, repo string) ([]string, error) {
	if err := accept.Name("pipelines by repository", "repository", repo); err != nil {
		return nil, err
	}
	items, err := queryAll[sourceIndexItem](ctx, s, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(sourceKey(repo))},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("pipelines by repository %s: %w", repo, err)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Pipeline)
	}
	slices.Sort(out)
	return out, nil
}

// ListPipelines returns the names of every pipeline with a stored spec,
// sorted.
func (s *Store) ListPipelines(ctx context.Context) ([]string, error) {
	items, err := queryAll[pipelineItem](ctx, s, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pipelinesKey())},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Pipeline)
	}
	slices.Sort(out)
	return out, nil
}

// imageRepository is the ECR repository a pipeline releases images from:
// source.image, or else the first image trigger's repository.
func imageRepository(p release.Pipeline) string {
	if p.Source.Image != "" {
		return p.Source.Image
	}
	for _, t := range p.Triggers {
		if t.Image != nil && t.Image.Repository != "" {
			return t.Image.Repository
		}
	}
	return ""
}
