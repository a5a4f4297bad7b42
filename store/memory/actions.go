package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/ordohq/ordo/store"
)

var _ store.ActionStore = (*Store)(nil)

// actionTable holds a Store's audit trail. The zero value is empty and
// usable. Its mutex is taken last (after the Store's, the flow table's or
// the key table's), so a write and its entry are seen together.
type actionTable struct {
	mu      sync.Mutex
	entries []store.Action // in append order; IDs 1, 2, ...
}

// add appends prepared entries (nil ones are skipped).
func (t *actionTable) add(entries ...*store.Action) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range entries {
		if a == nil {
			continue
		}
		c := *a
		c.ID = int64(len(t.entries) + 1)
		t.entries = append(t.entries, c)
	}
}

// ActionAppend records entries at once.
func (s *Store) ActionAppend(ctx context.Context, entries ...*store.Action) error {
	es, err := store.PrepareActions(entries)
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: action append: %w", err)
	}
	ps := make([]*store.Action, len(es))
	for i := range es {
		ps[i] = &es[i]
	}
	s.actions.add(ps...)
	return nil
}

// ActionList returns the entries that match p, newest first.
func (s *Store) ActionList(ctx context.Context, p *store.ActionListParams) (*store.ActionPage, error) {
	q, err := store.ParseActionList(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: action list: %w", err)
	}
	t := &s.actions
	t.mu.Lock()
	var out []*store.Action
	for i := range t.entries {
		if q.Match(&t.entries[i]) {
			out = append(out, cloneAction(&t.entries[i]))
		}
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].ID > out[j].ID
	})
	if len(out) > q.Limit+1 {
		out = out[:q.Limit+1]
	}
	return store.ActionPageOf(q, out), nil
}

func cloneAction(a *store.Action) *store.Action {
	c := *a
	c.Before, c.After = cloneRaw(a.Before), cloneRaw(a.After)
	return &c
}
