package memory

import (
	"context"
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
	files    map[string]store.FlowFile       // last load from a file, by name
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
		t = &flowTable{versions: make(map[string][]*store.FlowVersion), files: make(map[string]store.FlowFile)}
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
	p, err := store.PrepareFlowPut(p)
	if err != nil {
		return nil, false, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("memory: flow put %q: %w", p.Name, err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	if latest := t.latest(p.Name); latest != nil && latest.Hash == p.Hash {
		return cloneFlow(latest), false, nil
	}
	return cloneFlow(s.insertFlow(t, p)), true, nil
}

// FlowLoad applies a flow file's content as store.DecideFlowLoad says and
// records the load.
func (s *Store) FlowLoad(ctx context.Context, p *store.FlowLoadParams) (*store.FlowLoadResult, error) {
	p, err := store.PrepareFlowLoad(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: flow load %q: %w", p.Name, err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	latest := t.latest(p.Name)
	tx := store.FlowLoadTx{Latest: latest,
		Insert: func(put *store.FlowPutParams) (*store.FlowVersion, error) { return s.insertFlow(t, put), nil },
		Record: func(f store.FlowFile) error { t.files[f.Name] = f; return nil },
	}
	if last, ok := t.files[p.Name]; ok {
		tx.LastLoad = &last
	}
	res, err := store.RunFlowLoad(p, tx)
	if err != nil {
		return nil, err
	}
	if res.Version != nil {
		res.Version = cloneFlow(res.Version)
	}
	if res.Previous != nil {
		res.Previous = cloneFlow(res.Previous)
	}
	return res, nil
}

// latest returns the latest version of a flow, nil when it has none.
// t.mu is held.
func (t *flowTable) latest(name string) *store.FlowVersion {
	vs := t.versions[name]
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

// insertFlow appends the next version of a flow to t, and records the
// audit entry of a prepared put (store.PrepareFlowPut). t.mu is held.
func (s *Store) insertFlow(t *flowTable, p *store.FlowPutParams) *store.FlowVersion {
	vs := t.versions[p.Name]
	v := &store.FlowVersion{
		Name: p.Name, Version: len(vs) + 1, Hash: p.Hash, Source: store.FlowSourceOrDefault(p.Source),
		Definition: cloneRaw(p.Definition), CreatedAt: now(p.Now),
	}
	t.versions[p.Name] = append(vs, v)
	if p.Audit != nil {
		s.actions.add(store.FlowApplied(p.Audit, len(vs), v))
	}
	return v
}

// FlowVersions returns every version of a flow without definitions,
// oldest first.
func (s *Store) FlowVersions(ctx context.Context, name string) ([]*store.FlowVersion, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: flow versions %q: %w", name, err)
	}
	t := s.flows()
	t.mu.Lock()
	defer t.mu.Unlock()
	vs := t.versions[name]
	if len(vs) == 0 {
		return nil, fmt.Errorf("memory: flow versions %q: %w", name, store.ErrNotFound)
	}
	out := make([]*store.FlowVersion, len(vs))
	for i, v := range vs {
		c := *v
		c.Definition = nil
		out[i] = &c
	}
	return out, nil
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
