package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"weak"

	"github.com/ordohq/ordo/store"
)

var _ store.FlowStore = (*Store)(nil)

// flowTable holds the flow versions of one Store. FlowStore is an optional
// capability added next to the Store type without changing it, so each
// Store's table lives in flowTables, keyed by a weak pointer to the Store
// and removed when the Store is garbage collected.
type flowTable struct {
	mu       sync.Mutex
	versions map[string][]*store.FlowVersion // by name, oldest first
}

var flowTables = struct {
	sync.Mutex
	m map[weak.Pointer[Store]]*flowTable
}{m: make(map[weak.Pointer[Store]]*flowTable)}

// flows returns s's flow table, creating it on first use.
func (s *Store) flows() *flowTable {
	key := weak.Make(s)
	flowTables.Lock()
	defer flowTables.Unlock()
	t, ok := flowTables.m[key]
	if !ok {
		t = &flowTable{versions: make(map[string][]*store.FlowVersion)}
		flowTables.m[key] = t
		runtime.AddCleanup(s, func(k weak.Pointer[Store]) {
			flowTables.Lock()
			delete(flowTables.m, k)
			flowTables.Unlock()
		}, key)
	}
	return t
}

// FlowPut stores a new version of a flow unless its latest version has the
// same hash (then it returns that version with created false).
func (s *Store) FlowPut(ctx context.Context, p *store.FlowPutParams) (*store.FlowVersion, bool, error) {
	if p == nil || p.Name == "" || p.Hash == "" || len(p.Definition) == 0 {
		return nil, false, errors.New("memory: flow put: Name, Hash and Definition are required")
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("memory: flow put %q: %w", p.Name, err)
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, false, fmt.Errorf("memory: flow put %q: %w", p.Name, err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	vs := t.versions[p.Name]
	if n := len(vs); n > 0 && vs[n-1].Hash == p.Hash {
		return cloneFlow(vs[n-1]), false, nil
	}
	v := &store.FlowVersion{
		Name: p.Name, Version: len(vs) + 1, Hash: p.Hash,
		Definition: cloneRaw(p.Definition), CreatedAt: now(p.Now),
	}
	t.versions[p.Name] = append(vs, v)
	if audit != nil {
		s.actions.add(store.FlowApplied(audit, len(vs), v))
	}
	return cloneFlow(v), true, nil
}

// FlowGet returns one version of a flow, the latest when version is 0.
func (s *Store) FlowGet(ctx context.Context, name string, version int) (*store.FlowVersion, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: flow get %q: %w", name, err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	vs := t.versions[name]
	switch {
	case len(vs) == 0:
		return nil, fmt.Errorf("memory: flow get %q: %w", name, store.ErrNotFound)
	case version == 0:
		return cloneFlow(vs[len(vs)-1]), nil
	case version < 0 || version > len(vs):
		return nil, fmt.Errorf("memory: flow get %q version %d: %w", name, version, store.ErrNotFound)
	}
	return cloneFlow(vs[version-1]), nil
}

// FlowList returns the latest version of every flow, sorted by name.
func (s *Store) FlowList(ctx context.Context) ([]*store.FlowVersion, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: flow list: %w", err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*store.FlowVersion, 0, len(t.versions))
	for _, vs := range t.versions {
		out = append(out, cloneFlow(vs[len(vs)-1]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func cloneFlow(v *store.FlowVersion) *store.FlowVersion {
	c := *v
	c.Definition = cloneRaw(v.Definition)
	return &c
}
