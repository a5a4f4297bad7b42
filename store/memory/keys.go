package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.KeyStore = (*Store)(nil)

// keyTable holds a Store's API keys and audit log. The zero value is
// empty and usable.
type keyTable struct {
	mu     sync.Mutex
	byName map[string]*store.APIKey
	audit  []store.AuditEntry // oldest first; IDs 1, 2, ...
}

// KeyCreate stores a new key, replacing a revoked key of the same name.
func (s *Store) KeyCreate(ctx context.Context, p *store.KeyCreateParams) (*store.APIKey, error) {
	if err := store.ValidateKeyCreate(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: key create %q: %w", p.Name, err)
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("memory: key create %q: %w", p.Name, err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.byName[p.Name]; ok && old.Active() {
		return nil, fmt.Errorf("memory: key create %q: an active key has the name: %w", p.Name, store.ErrAlreadyExists)
	}
	for _, k := range t.byName {
		if k.Hash == p.Hash && k.Name != p.Name {
			return nil, fmt.Errorf("memory: key create %q: another key has the hash: %w", p.Name, store.ErrAlreadyExists)
		}
	}
	k := &store.APIKey{Name: p.Name, Scope: p.Scope, Hash: p.Hash, Prefix: p.Prefix, CreatedBy: p.CreatedBy, CreatedAt: now(p.Now)}
	if t.byName == nil {
		t.byName = make(map[string]*store.APIKey)
	}
	t.byName[p.Name] = k
	s.actions.add(audit)
	return cloneKey(k), nil
}

// KeyGet returns the key named name, or store.ErrNotFound.
func (s *Store) KeyGet(ctx context.Context, name string) (*store.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: key get %q: %w", name, err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.byName[name]
	if !ok {
		return nil, fmt.Errorf("memory: key get %q: %w", name, store.ErrNotFound)
	}
	return cloneKey(k), nil
}

// KeyByHash returns the key whose hash is hash, or store.ErrNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (*store.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: key by hash: %w", err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range t.byName {
		if k.Hash == hash {
			return cloneKey(k), nil
		}
	}
	return nil, fmt.Errorf("memory: key by hash: %w", store.ErrNotFound)
}

// KeyList returns every key, sorted by name.
func (s *Store) KeyList(ctx context.Context) ([]*store.APIKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: key list: %w", err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*store.APIKey, 0, len(t.byName))
	for _, k := range t.byName {
		out = append(out, cloneKey(k))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// KeyRevoke marks the named key revoked (once) and returns it.
func (s *Store) KeyRevoke(ctx context.Context, name string, at time.Time) (*store.APIKey, error) {
	if err := store.ValidateKeyName(name); err != nil {
		return nil, fmt.Errorf("memory: key revoke: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: key revoke %q: %w", name, err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.byName[name]
	if !ok {
		return nil, fmt.Errorf("memory: key revoke %q: %w", name, store.ErrNotFound)
	}
	if k.RevokedAt == nil {
		r := now(at)
		k.RevokedAt = &r
	}
	return cloneKey(k), nil
}

// KeyTouch moves the key's last-used time forward to at.
func (s *Store) KeyTouch(ctx context.Context, name string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: key touch %q: %w", name, err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	if k, ok := t.byName[name]; ok {
		if u := now(at); k.LastUsedAt == nil || u.After(*k.LastUsedAt) {
			k.LastUsedAt = &u
		}
	}
	return nil
}

// KeyActiveCount returns how many keys are not revoked.
func (s *Store) KeyActiveCount(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: key active count: %w", err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, k := range t.byName {
		if k.Active() {
			n++
		}
	}
	return n, nil
}

// AuditAppend records entries, all or none.
func (s *Store) AuditAppend(ctx context.Context, entries ...*store.AuditEntry) error {
	es, err := store.PrepareAudit(entries)
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: audit append: %w", err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range es {
		e.ID = int64(len(t.audit)) + 1
		e.At = now(e.At)
		t.audit = append(t.audit, e)
	}
	return nil
}

// AuditList returns audit entries newest first.
func (s *Store) AuditList(ctx context.Context, p *store.AuditListParams) (*store.AuditPage, error) {
	q, err := store.ParseAuditList(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: audit list: %w", err)
	}
	t := &s.keys
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*store.AuditEntry
	for i := len(t.audit) - 1; i >= 0 && len(out) <= q.Limit; i-- {
		e := t.audit[i]
		if q.BeforeID > 0 && e.ID >= q.BeforeID || q.Key != "" && e.Key != q.Key {
			continue
		}
		c := e
		out = append(out, &c)
	}
	return store.AuditPageOf(q, out), nil
}

func cloneKey(k *store.APIKey) *store.APIKey {
	c := *k
	c.LastUsedAt = normPtr(k.LastUsedAt)
	c.RevokedAt = normPtr(k.RevokedAt)
	return &c
}
