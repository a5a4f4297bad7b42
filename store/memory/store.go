package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

// Store is the in-memory implementation of store.Store. The zero value is
// not usable: create one with New.
type Store struct {
	mu          sync.Mutex
	instances   map[string]*instance
	nextEventID int64

	keys keyTable // store.KeyStore, guarded by its own mutex

	schedules scheduleTable // store.ScheduleStore, guarded by its own mutex

	hooks webhookTable // store.WebhookStore, guarded by mu (Commit writes to it)

	actions actionTable // store.ActionStore, guarded by its own mutex

	purgeLock store.LocalLock // store.PurgeStore

	limits limitTable // store.LimitStore, guarded by mu (slots read the instances)
}

// instance is what the Store keeps for one instance.
type instance struct {
	in    *store.Instance
	steps map[string]*store.Step // by key, History always nil
	// history holds the attempts appended per step key, in order.
	history map[string][]store.Attempt
	events  []*store.Event // by ID
	// waits are the matched waits by step key (store.MatchStore); copied
	// holds the published event IDs copied into events.
	waits  map[string]store.EventMatch
	copied map[string]bool
	// runs are the ended runs, oldest first (store.Run).
	runs []*store.Run
	// attrs are the search attributes, normalised (sorted, no duplicates).
	attrs []store.Attribute
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{instances: make(map[string]*instance)}
}

// Close does nothing: the data lives as long as the Store. It is safe to
// call more than once.
func (s *Store) Close() error { return nil }

// InstanceCreate inserts a queued instance, or a running one leased to
// p.Claim. An existing ID returns store.ErrAlreadyExists together with the
// existing instance.
func (s *Store) InstanceCreate(ctx context.Context, p *store.InstanceCreateParams) (*store.Instance, error) {
	if err := store.ValidateCreate(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance create %q: %w", p.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.create(p, time.Time{})
	if err != nil {
		return in, fmt.Errorf("memory: instance create %q: %w", p.ID, err)
	}
	return in, nil
}

// create inserts the instance p describes at p.Now (or fallback, or the
// wall clock) and returns a copy. An existing ID returns
// store.ErrAlreadyExists and a copy of the existing instance.
func (s *Store) create(p *store.InstanceCreateParams, fallback time.Time) (*store.Instance, error) {
	if existing, ok := s.instances[p.ID]; ok {
		return cloneInstance(existing.in), store.ErrAlreadyExists
	}
	at := p.Now
	if at.IsZero() {
		at = fallback
	}
	t := now(at)
	in := &store.Instance{
		ID:        p.ID,
		Workflow:  p.Workflow,
		Status:    store.StatusQueued,
		Params:    cloneRaw(p.Params),
		CreatedAt: t,
		UpdatedAt: t,
		Run:       1,
		Trace:     cloneTrace(p.Trace),
		Priority:  p.Priority,
	}
	if pl := p.Parent; pl != nil {
		in.ParentID, in.ParentStep, in.ChildPolicy = pl.ID, pl.Step, pl.Policy
	}
	if c := p.Claim; c != nil {
		in.Status = store.StatusRunning
		in.StartedAt = &t
		in.LeaseOwner = c.Owner
		in.LeaseToken = c.Token
		in.LeaseExpiresAt = normPtr(&c.LeaseUntil)
		in.Claims = 1
		in.Version = c.Version
	}
	s.instances[p.ID] = &instance{
		in:      in,
		steps:   make(map[string]*store.Step),
		history: make(map[string][]store.Attempt),
		attrs:   slices.Clone(p.Attributes),
	}
	return cloneInstance(in), nil
}

// InstanceGet returns one instance or store.ErrNotFound.
func (s *Store) InstanceGet(ctx context.Context, id string) (*store.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance get %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[id]
	if !ok {
		return nil, fmt.Errorf("memory: instance get %q: %w", id, store.ErrNotFound)
	}
	return cloneInstance(x.in), nil
}

// InstanceList returns instances newest first (by creation time, then ID),
// filtered and paged by p.
func (s *Store) InstanceList(ctx context.Context, p *store.InstanceListParams) (*store.InstancePage, error) {
	if p == nil {
		p = &store.InstanceListParams{}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance list: %w", err)
	}
	if err := store.ValidateList(p); err != nil {
		return nil, fmt.Errorf("memory: instance list: %w", err)
	}
	limit, _ := store.ListLimit(p.Limit)
	var (
		err      error
		after    bool
		cAt      time.Time
		cID      string
		selected []*store.Instance
	)
	if p.Cursor != "" {
		if cAt, cID, err = store.DecodeInstanceCursor(p.Cursor); err != nil {
			return nil, fmt.Errorf("memory: instance list: %w", err)
		}
		after = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.instances {
		in := x.in
		if !store.MatchesList(p, in, x.attrs) {
			continue
		}
		if after {
			at, c := in.CreatedAt.UnixMicro(), cAt.UnixMicro()
			if at > c || at == c && in.ID >= cID {
				continue
			}
		}
		selected = append(selected, in)
	}
	sort.Slice(selected, func(i, j int) bool { return newer(selected[i], selected[j]) })
	page := store.NewInstancePageBuilder(limit) // ends at limit or store.MaxPageBytes
	for _, in := range selected {
		if !page.Add(cloneInstance(in)) {
			break
		}
	}
	return page.Page(), nil
}

// newer orders instances newest first: by creation time, then ID, both
// descending.
func newer(a, b *store.Instance) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}
