package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store/accept"
)

// Listing limits, as store's.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
	maxNameLen       = accept.MaxNameLen
)

// Store is an in-memory release repository. It is safe for concurrent use.
type Store struct {
	now func() time.Time
	ids func() string

	mu       sync.Mutex
	specs    map[string][]release.SpecVersion // pipeline → versions in order
	sources  map[string]map[string]int        // repository → pipeline → spec version
	triggers map[string]string                // pipeline + "\x00" + trigger key → release id
	releases map[string]release.Release
	events   map[string][]release.Event
	locks    map[string]*lockItem
	targets  map[string]release.TargetState
	tokens   map[string]tokenItem
	tokenSeq int64
	idem     map[string]idemItem

	onWrite func()
}

type lockItem struct {
	owner   string
	fence   int64
	untilMs int64
}

type tokenItem struct {
	tok release.TaskToken
	seq int64 // insertion order, for stable ordering among equal CreatedAt
}

type idemItem struct {
	value string
	expMs int64
}

// Option configures a Store.
type Option func(*Store)

// WithNow sets the clock for timestamps, leases and expiry; default time.Now.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithIDs sets the release id generator. The default makes 26-character
// ids that sort by creation time (the clock's milliseconds, then a counter),
// deterministically.
func WithIDs(ids func() string) Option { return func(s *Store) { s.ids = ids } }

// WithOnWrite registers a function called (without the store's lock held)
// after every successful state change.
func WithOnWrite(f func()) Option { return func(s *Store) { s.onWrite = f } }

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:      time.Now,
		specs:    map[string][]release.SpecVersion{},
		sources:  map[string]map[string]int{},
		triggers: map[string]string{},
		releases: map[string]release.Release{},
		events:   map[string][]release.Event{},
		locks:    map[string]*lockItem{},
		targets:  map[string]release.TargetState{},
		tokens:   map[string]tokenItem{},
		idem:     map[string]idemItem{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = NewIDs(s.now)
	}
	return s
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewIDs returns a generator of release ids that sort by creation time
// and, unlike store's ULIDs, are deterministic: 10 Crockford base32
// characters of the clock's milliseconds (never going back) and 16 of a
// counter.
func NewIDs(now func() time.Time) func() string {
	var (
		mu     sync.Mutex
		lastMs int64
		n      uint64
	)
	return func() string {
		mu.Lock()
		ms := max(now().UnixMilli(), lastMs)
		lastMs = ms
		n++
		c := n
		mu.Unlock()
		var out [26]byte
		for i := 9; i >= 0; i-- {
			out[i] = crockford[ms&31]
			ms >>= 5
		}
		for i := 25; i >= 10; i-- {
			out[i] = crockford[c&31]
			c >>= 5
		}
		return string(out[:])
	}
}

func (s *Store) wrote() {
	if s.onWrite != nil {
		s.onWrite()
	}
}

func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// SaveSpec stores sv as the pipeline's next version (see store.SaveSpec).
func (s *Store) SaveSpec(ctx context.Context, sv release.SpecVersion) (release.SpecVersion, error) {
	name, err := accept.Spec(sv)
	if err != nil {
		return release.SpecVersion{}, err
	}
	if err := ctxErr(ctx, "save spec "+name); err != nil {
		return release.SpecVersion{}, err
	}
	// A JSON round trip, as the DynamoDB store stores the parsed pipeline.
	raw, err := json.Marshal(sv.Parsed)
	if err != nil {
		return release.SpecVersion{}, fmt.Errorf("save spec %s: encode parsed pipeline: %w", name, err)
	}
	var parsed release.Pipeline
	if err := json.Unmarshal(raw, &parsed); err != nil {
		return release.SpecVersion{}, fmt.Errorf("save spec %s: decode parsed pipeline: %w", name, err)
	}
	s.mu.Lock()
	sv.Pipeline, sv.Parsed = name, parsed
	sv.CreatedAt = s.now().UTC()
	sv.Source = append([]byte(nil), sv.Source...)
	prev := s.specs[name]
	sv.Version = len(prev) + 1
	s.specs[name] = append(prev, sv)
	var old []string
	if len(prev) > 0 {
		old = specSources(prev[len(prev)-1].Parsed)
	}
	cur := specSources(parsed)
	for _, src := range cur {
		if s.sources[src] == nil {
			s.sources[src] = map[string]int{}
		}
		s.sources[src][name] = sv.Version
	}
	for _, src := range old {
		if !slices.Contains(cur, src) {
			delete(s.sources[src], name)
		}
	}
	s.mu.Unlock()
	s.wrote()
	return sv, nil
}

func specSources(p release.Pipeline) []string {
	var out []string
	img := p.Source.Image
	if img == "" {
		for _, t := range p.Triggers {
			if t.Image != nil && t.Image.Repository != "" {
				img = t.Image.Repository
				break
			}
		}
	}
	for _, src := range []string{p.Source.Repository, img} {
		if src != "" && len(src) <= maxNameLen && !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	return out
}

// GetSpec returns a version of the pipeline's spec; 0 means the latest.
// Errors: release.ErrNotFound.
func (s *Store) GetSpec(ctx context.Context, pipeline string, version int) (release.SpecVersion, error) {
	if err := accept.Name("get spec", "pipeline", pipeline); err != nil {
		return release.SpecVersion{}, err
	}
	if version < 0 {
		return release.SpecVersion{}, release.Errorf(release.ErrInvalid, "get spec %s: version %d is negative", pipeline, version)
	}
	if err := ctxErr(ctx, "get spec "+pipeline); err != nil {
		return release.SpecVersion{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.specs[pipeline]
	switch {
	case version == 0 && len(vs) == 0:
		return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "get spec %s: pipeline has no spec", pipeline)
	case version == 0:
		return vs[len(vs)-1], nil
	case version > len(vs):
		return release.SpecVersion{}, release.Errorf(release.ErrNotFound, "get spec %s version %d: no such version", pipeline, version)
	}
	return vs[version-1], nil
}

// PipelinesByRepository returns, sorted, the pipelines whose latest spec
// releases from repo.
func (s *Store) PipelinesByRepository(ctx context.Context, repo string) ([]string, error) {
	if err := accept.Name("pipelines by repository", "repository", repo); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for p := range s.sources[repo] {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// ListPipelines returns every pipeline with a stored spec, sorted.
func (s *Store) ListPipelines(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for p := range s.specs {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// CreateRelease stores r unless its pipeline already has a release for the
// same trigger key, in which case it returns that one with created false.
func (s *Store) CreateRelease(ctx context.Context, r release.Release) (release.Release, bool, error) {
	r, err := accept.NewRelease(r, s.ids)
	if err != nil {
		return release.Release{}, false, err
	}
	if err := ctxErr(ctx, "create release"); err != nil {
		return release.Release{}, false, err
	}
	// The same JSON round trip the DynamoDB store's trigger attribute takes.
	raw, err := json.Marshal(r.Trigger)
	if err != nil {
		return release.Release{}, false, fmt.Errorf("encode trigger: %w", err)
	}
	r.Trigger = release.Trigger{}
	if err := json.Unmarshal(raw, &r.Trigger); err != nil {
		return release.Release{}, false, fmt.Errorf("decode trigger: %w", err)
	}
	s.mu.Lock()
	now := s.now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	claim := r.Pipeline + "\x00" + r.Trigger.Key
	if id, ok := s.triggers[claim]; ok {
		got, found := s.releases[id]
		s.mu.Unlock()
		if !found {
			return release.Release{}, false, release.Errorf(release.ErrConflict, "create release for %s trigger %s: claimed but not stored", r.Pipeline, r.Trigger.Key)
		}
		return got, false, nil
	}
	if got, ok := s.releases[r.ID]; ok {
		s.mu.Unlock()
		if got.Pipeline != r.Pipeline || got.Trigger.Key != r.Trigger.Key {
			return release.Release{}, false, release.Errorf(release.ErrConflict, "create release %s: id already used by pipeline %s trigger %s", r.ID, got.Pipeline, got.Trigger.Key)
		}
		return got, false, nil
	}
	s.triggers[claim] = r.ID
	s.releases[r.ID] = r
	s.mu.Unlock()
	s.wrote()
	return r, true, nil
}

// GetRelease returns a release. Errors: release.ErrNotFound.
func (s *Store) GetRelease(ctx context.Context, id string) (release.Release, error) {
	if err := accept.Name("get release", "id", id); err != nil {
		return release.Release{}, err
	}
	if err := ctxErr(ctx, "get release "+id); err != nil {
		return release.Release{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.releases[id]
	if !ok {
		return release.Release{}, release.Errorf(release.ErrNotFound, "get release %s: no such release", id)
	}
	return r, nil
}

// TransitionRelease moves a release to status to (see store.TransitionRelease).
func (s *Store) TransitionRelease(ctx context.Context, id string, to release.Status, reason string) (release.Release, error) {
	if !to.Valid() {
		return release.Release{}, release.Errorf(release.ErrInvalid, "transition release %s: unknown status %q", id, to)
	}
	if err := accept.Name("get release", "id", id); err != nil {
		return release.Release{}, fmt.Errorf("transition release: %w", err)
	}
	if err := ctxErr(ctx, "transition release "+id); err != nil {
		return release.Release{}, err
	}
	s.mu.Lock()
	cur, ok := s.releases[id]
	if !ok {
		s.mu.Unlock()
		return release.Release{}, release.Errorf(release.ErrNotFound, "transition release: get release %s: no such release", id)
	}
	if err := release.CheckTransition(cur.Status, to); err != nil {
		s.mu.Unlock()
		return release.Release{}, fmt.Errorf("transition release %s: %w", id, err)
	}
	cur.Status, cur.UpdatedAt = to, s.now().UTC()
	if reason != "" {
		cur.Reason = reason
	}
	s.releases[id] = cur
	s.mu.Unlock()
	s.wrote()
	return cur, nil
}

// SetExecution records the execution running a release.
func (s *Store) SetExecution(ctx context.Context, id, executionARN string) error {
	if err := accept.Name("set execution", "id", id); err != nil {
		return err
	}
	if executionARN == "" {
		return release.Errorf(release.ErrInvalid, "set execution of release %s: execution ARN is required", id)
	}
	if err := ctxErr(ctx, "set execution of "+id); err != nil {
		return err
	}
	s.mu.Lock()
	cur, ok := s.releases[id]
	switch {
	case !ok:
		s.mu.Unlock()
		return release.Errorf(release.ErrNotFound, "set execution: get release %s: no such release", id)
	case cur.Execution != "" && cur.Execution != executionARN:
		s.mu.Unlock()
		return release.Errorf(release.ErrConflict, "set execution of release %s to %s: already run by %s", id, executionARN, cur.Execution)
	}
	cur.Execution, cur.UpdatedAt = executionARN, s.now().UTC()
	s.releases[id] = cur
	s.mu.Unlock()
	s.wrote()
	return nil
}

// ListReleases returns up to limit of the pipeline's releases, newest first,
// and a cursor (the last id returned) for the next page.
func (s *Store) ListReleases(ctx context.Context, pipeline string, limit int, cursor string) ([]release.Release, string, error) {
	if err := accept.Name("list releases", "pipeline", pipeline); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	after := ""
	if cursor != "" {
		p, id, ok := strings.Cut(cursor, "\x00")
		if !ok || id == "" {
			return nil, "", release.Errorf(release.ErrInvalid, "list releases of %s: malformed cursor", pipeline)
		}
		if p != pipeline {
			return nil, "", release.Errorf(release.ErrInvalid, "list releases of %s: cursor belongs to pipeline %s", pipeline, p)
		}
		after = id
	}
	s.mu.Lock()
	var all []release.Release
	for _, r := range s.releases {
		if r.Pipeline == pipeline && (after == "" || r.ID < after) {
			all = append(all, r)
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	next := ""
	if len(all) > limit {
		all = all[:limit]
		next = pipeline + "\x00" + all[limit-1].ID
	}
	if all == nil {
		all = []release.Release{}
	}
	return all, next, nil
}

// ActiveReleases returns the pipeline's non-terminal releases, oldest first.
func (s *Store) ActiveReleases(ctx context.Context, pipeline string) ([]release.Release, error) {
	if err := accept.Name("active releases", "pipeline", pipeline); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "active releases of "+pipeline); err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := []release.Release{}
	for _, r := range s.releases {
		if r.Pipeline == pipeline && !r.Status.Terminal() {
			out = append(out, r)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// AppendEvent adds ev to the end of its release's log with the next Seq.
func (s *Store) AppendEvent(ctx context.Context, ev release.Event) (release.Event, error) {
	if err := accept.Event(ev); err != nil {
		return release.Event{}, err
	}
	if err := ctxErr(ctx, "append event to "+ev.ReleaseID); err != nil {
		return release.Event{}, err
	}
	s.mu.Lock()
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	ev.Time = ev.Time.UTC()
	if len(ev.Data) > 0 {
		ev.Data = append(json.RawMessage(nil), ev.Data...)
	} else {
		ev.Data = nil
	}
	log := s.events[ev.ReleaseID]
	if n := len(log); n > 0 && ev.Time.Before(log[n-1].Time) {
		ev.Time = log[n-1].Time // time never goes backwards against seq
	}
	ev.Seq = int64(len(log)) + 1
	s.events[ev.ReleaseID] = append(log, ev)
	s.mu.Unlock()
	s.wrote()
	return ev, nil
}

// Events returns the release's entries with Seq above afterSeq, at most
// limit (all when limit ≤ 0).
func (s *Store) Events(ctx context.Context, releaseID string, afterSeq int64, limit int) ([]release.Event, error) {
	if err := accept.Name("events", "release id", releaseID); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "events of "+releaseID); err != nil {
		return nil, err
	}
	afterSeq = max(afterSeq, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.events[releaseID]
	if afterSeq >= int64(len(log)) {
		return []release.Event{}, nil
	}
	page := log[afterSeq:]
	if limit > 0 && len(page) > limit {
		page = page[:limit]
	}
	return append([]release.Event(nil), page...), nil
}

func (l *lockItem) lock(target string) release.Lock {
	return release.Lock{Target: target, Owner: l.owner, Fence: l.fence, ExpiresAt: time.UnixMilli(l.untilMs).UTC()}
}

// AcquireLock gives owner a lease on target (see store.AcquireLock).
func (s *Store) AcquireLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := accept.Lock("acquire lock", target, owner, lease); err != nil {
		return release.Lock{}, err
	}
	if err := ctxErr(ctx, "acquire lock on "+target); err != nil {
		return release.Lock{}, err
	}
	s.mu.Lock()
	now := s.now()
	nowMs, until := now.UnixMilli(), now.Add(lease).UnixMilli()
	l := s.locks[target]
	if l == nil {
		l = &lockItem{}
		s.locks[target] = l
	}
	switch {
	case l.owner == "" || l.untilMs <= nowMs:
		l.owner, l.untilMs, l.fence = owner, until, l.fence+1
	case l.owner == owner:
		l.untilMs = until
	default:
		cur := l.lock(target)
		s.mu.Unlock()
		return release.Lock{}, release.Errorf(release.ErrLocked, "acquire lock on %s for %s: held by %s until %s", target, owner, cur.Owner, cur.ExpiresAt.Format(time.RFC3339Nano))
	}
	out := l.lock(target)
	s.mu.Unlock()
	s.wrote()
	return out, nil
}

// RenewLock extends owner's live lease (see store.RenewLock).
func (s *Store) RenewLock(ctx context.Context, target, owner string, lease time.Duration) (release.Lock, error) {
	if err := accept.Lock("renew lock", target, owner, lease); err != nil {
		return release.Lock{}, err
	}
	if err := ctxErr(ctx, "renew lock on "+target); err != nil {
		return release.Lock{}, err
	}
	s.mu.Lock()
	now := s.now()
	l := s.locks[target]
	switch {
	case l == nil || l.owner == "":
		s.mu.Unlock()
		return release.Lock{}, release.Errorf(release.ErrNotFound, "renew lock on %s for %s: not locked", target, owner)
	case l.owner != owner:
		s.mu.Unlock()
		return release.Lock{}, release.Errorf(release.ErrLocked, "renew lock on %s for %s: held by %s", target, owner, l.owner)
	case l.untilMs <= now.UnixMilli():
		s.mu.Unlock()
		return release.Lock{}, release.Errorf(release.ErrExpired, "renew lock on %s for %s: lease ran out at %s", target, owner, time.UnixMilli(l.untilMs).UTC().Format(time.RFC3339Nano))
	}
	l.untilMs = now.Add(lease).UnixMilli()
	out := l.lock(target)
	s.mu.Unlock()
	s.wrote()
	return out, nil
}

// ReleaseLock frees owner's lock; a free lock is a no-op. Errors:
// release.ErrLocked when another owner holds it.
func (s *Store) ReleaseLock(ctx context.Context, target, owner string) error {
	if err := accept.Name("release lock", "target", target); err != nil {
		return err
	}
	if err := accept.Name("release lock", "owner", owner); err != nil {
		return err
	}
	if err := ctxErr(ctx, "release lock on "+target); err != nil {
		return err
	}
	s.mu.Lock()
	l := s.locks[target]
	switch {
	case l == nil || l.owner == "":
		s.mu.Unlock()
		return release.Errorf(release.ErrNotFound, "release lock on %s for %s: not locked", target, owner)
	case l.owner != owner:
		s.mu.Unlock()
		return release.Errorf(release.ErrLocked, "release lock on %s for %s: held by %s", target, owner, l.owner)
	}
	l.owner, l.untilMs = "", 0
	s.mu.Unlock()
	s.wrote()
	return nil
}

// GetLock returns target's lock as stored, expired or not. Errors:
// release.ErrNotFound when it is free.
func (s *Store) GetLock(ctx context.Context, target string) (release.Lock, error) {
	if err := accept.Name("get lock", "target", target); err != nil {
		return release.Lock{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locks[target]
	if l == nil || l.owner == "" {
		return release.Lock{}, release.Errorf(release.ErrNotFound, "get lock on %s: not locked", target)
	}
	return l.lock(target), nil
}

// SwapTargetState writes next only if the stored state is still prev (same
// phase, owner and update time in milliseconds, as the DynamoDB store
// compares them; prev.Phase "" means none is stored). Errors:
// release.ErrInvalid, release.ErrConflict.
func (s *Store) SwapTargetState(ctx context.Context, prev, next release.TargetState) error {
	if err := accept.Name("swap target state", "target", next.Target); err != nil {
		return err
	}
	if prev.Target != "" && prev.Target != next.Target {
		return release.Errorf(release.ErrInvalid, "swap target state %s: prev is target %s", next.Target, prev.Target)
	}
	if next.Phase == "" {
		return release.Errorf(release.ErrInvalid, "swap target state %s: phase is required", next.Target)
	}
	if err := ctxErr(ctx, "swap target state "+next.Target); err != nil {
		return err
	}
	s.mu.Lock()
	if next.UpdatedAt.IsZero() {
		next.UpdatedAt = s.now()
	}
	next.UpdatedAt = next.UpdatedAt.UTC()
	cur, ok := s.targets[next.Target]
	same := !ok && prev.Phase == "" ||
		ok && prev.Phase != "" && cur.Phase == prev.Phase && cur.ReleaseID == prev.ReleaseID && cur.UpdatedAt.UnixMilli() == prev.UpdatedAt.UnixMilli()
	if !same {
		s.mu.Unlock()
		return release.Errorf(release.ErrConflict, "swap target state %s: it changed since it was read", next.Target)
	}
	s.targets[next.Target] = storedTarget(next)
	s.mu.Unlock()
	s.wrote()
	return nil
}

// storedTarget is ts as the DynamoDB store keeps it: times to the
// millisecond, lists copied.
func storedTarget(ts release.TargetState) release.TargetState {
	ts.UpdatedAt = time.UnixMilli(ts.UpdatedAt.UnixMilli()).UTC()
	ts.Good = append([]string(nil), ts.Good...)
	return ts
}

// GetTargetState returns what a target serves. Errors: release.ErrNotFound.
func (s *Store) GetTargetState(ctx context.Context, target string) (release.TargetState, error) {
	if err := accept.Name("get target state", "target", target); err != nil {
		return release.TargetState{}, err
	}
	if err := ctxErr(ctx, "get target state "+target); err != nil {
		return release.TargetState{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, ok := s.targets[target]
	if !ok {
		return release.TargetState{}, release.Errorf(release.ErrNotFound, "target %s has no recorded state", target)
	}
	return storedTarget(ts), nil
}

func expiredAt(tok release.TaskToken, now time.Time) bool {
	return !tok.ExpiresAt.IsZero() && now.UnixMilli() >= tok.ExpiresAt.UnixMilli()
}

// PutTaskToken stores a task token. Errors: release.ErrInvalid,
// release.ErrConflict when it is already stored.
func (s *Store) PutTaskToken(ctx context.Context, tok release.TaskToken) error {
	if err := accept.TaskToken(tok); err != nil {
		return err
	}
	if err := ctxErr(ctx, "put task token for "+tok.ReleaseID); err != nil {
		return err
	}
	s.mu.Lock()
	if existing, ok := s.tokens[tok.Token]; ok {
		s.mu.Unlock()
		return release.Errorf(release.ErrConflict, "put %s task token for release %s: already stored for release %s", tok.Kind, tok.ReleaseID, existing.tok.ReleaseID)
	}
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = s.now()
	}
	tok.CreatedAt = tok.CreatedAt.UTC()
	if !tok.ExpiresAt.IsZero() {
		tok.ExpiresAt = time.UnixMilli(tok.ExpiresAt.UnixMilli()).UTC()
	}
	tok.Alarms = nilIfEmpty(tok.Alarms)
	tok.Approvers = nilIfEmpty(tok.Approvers)
	s.tokenSeq++
	s.tokens[tok.Token] = tokenItem{tok: tok, seq: s.tokenSeq}
	s.mu.Unlock()
	s.wrote()
	return nil
}

func nilIfEmpty(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return append([]string(nil), v...)
}

// GetTaskToken returns a stored token. Errors: release.ErrNotFound;
// release.ErrExpired, with the token, when it is past ExpiresAt.
func (s *Store) GetTaskToken(ctx context.Context, token string) (release.TaskToken, error) {
	if token == "" {
		return release.TaskToken{}, release.Errorf(release.ErrInvalid, "get task token: token is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.tokens[token]
	if !ok {
		return release.TaskToken{}, release.Errorf(release.ErrNotFound, "get task token: no such token")
	}
	if expiredAt(it.tok, s.now()) {
		return it.tok, release.Errorf(release.ErrExpired, "get %s task token of release %s: expired", it.tok.Kind, it.tok.ReleaseID)
	}
	return it.tok, nil
}

func (s *Store) sortedTokens(keep func(release.TaskToken) bool) []release.TaskToken {
	var items []tokenItem
	for _, it := range s.tokens {
		if keep(it.tok) {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if c := items[i].tok.CreatedAt.Compare(items[j].tok.CreatedAt); c != 0 {
			return c < 0
		}
		return items[i].seq < items[j].seq
	})
	out := make([]release.TaskToken, 0, len(items))
	for _, it := range items {
		out = append(out, it.tok)
	}
	return out
}

// TokensByRelease returns every token of the release, expired ones
// included, oldest first.
func (s *Store) TokensByRelease(ctx context.Context, releaseID string) ([]release.TaskToken, error) {
	if err := accept.Name("tokens by release", "release id", releaseID); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "tokens by release "+releaseID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedTokens(func(t release.TaskToken) bool { return t.ReleaseID == releaseID }), nil
}

// TokensByAlarm returns the unexpired tokens watching the alarm, oldest
// first.
func (s *Store) TokensByAlarm(ctx context.Context, alarm string) ([]release.TaskToken, error) {
	if err := accept.Name("tokens by alarm", "alarm", alarm); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "tokens by alarm "+alarm); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.sortedTokens(func(t release.TaskToken) bool { return slices.Contains(t.Alarms, alarm) && !expiredAt(t, now) }), nil
}

// DeleteTaskToken removes a token; of any number of callers exactly one
// succeeds. Errors: release.ErrNotFound for the others.
func (s *Store) DeleteTaskToken(ctx context.Context, token string) error {
	if token == "" {
		return release.Errorf(release.ErrInvalid, "delete task token: token is required")
	}
	if err := ctxErr(ctx, "delete task token"); err != nil {
		return err
	}
	s.mu.Lock()
	if _, ok := s.tokens[token]; !ok {
		s.mu.Unlock()
		return release.Errorf(release.ErrNotFound, "delete task token: no such token (already completed by another caller?)")
	}
	delete(s.tokens, token)
	s.mu.Unlock()
	s.wrote()
	return nil
}

// ClaimIdempotencyKey records key with value for ttl unless an unexpired
// claim exists (see store.ClaimIdempotencyKey).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, key, value string, ttl time.Duration) (string, bool, error) {
	if err := accept.Name("claim idempotency key", "key", key); err != nil {
		return "", false, err
	}
	if ttl < time.Millisecond {
		return "", false, release.Errorf(release.ErrInvalid, "claim idempotency key %s: ttl must be at least 1ms, got %s", key, ttl)
	}
	if err := ctxErr(ctx, "claim idempotency key "+key); err != nil {
		return "", false, err
	}
	s.mu.Lock()
	now := s.now()
	if cur, ok := s.idem[key]; ok && now.UnixMilli() < cur.expMs {
		s.mu.Unlock()
		return cur.value, false, nil
	}
	s.idem[key] = idemItem{value: value, expMs: now.Add(ttl).UnixMilli()}
	s.mu.Unlock()
	s.wrote()
	return "", true, nil
}
