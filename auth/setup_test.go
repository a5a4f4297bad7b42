package auth_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// t0 is the tests' start time.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// bootstrapKey is a bootstrap key long enough for New.
const bootstrapKey = "0123456789abcdefghijklmnopqrstuvwxyz"

// bundle is what a test of package auth needs: an Authenticator on a real
// SQLite store, the store seen through a counting wrapper, and the clock.
type bundle struct {
	a     *auth.Authenticator
	st    *countingStore
	clock *ordotest.Clock
}

// setup opens a migrated SQLite store under t.TempDir() and returns an
// Authenticator on it. cfg, if not nil, is the base configuration (its
// Store and Now are set here).
func setup(t *testing.T, cfg *auth.Config) *bundle {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := &bundle{st: &countingStore{KeyStore: s}, clock: ordotest.NewClock(t0)}
	b.a = b.another(t, cfg)
	return b
}

// another returns a second Authenticator on the bundle's store and clock,
// as another process sharing the database would have.
func (b *bundle) another(t *testing.T, cfg *auth.Config) *auth.Authenticator {
	t.Helper()
	var c auth.Config
	if cfg != nil {
		c = *cfg
	}
	c.Store, c.Now = b.st, b.clock.Now
	a, err := auth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// createKey creates a key and returns it.
func (b *bundle) createKey(t *testing.T, name string, scope auth.Scope) string {
	t.Helper()
	key, _, err := b.a.CreateKey(t.Context(), name, scope, "test")
	if err != nil {
		t.Fatalf("CreateKey %q: %v", name, err)
	}
	return key
}

// lastUsed returns the stored last-used time of the named key.
func (b *bundle) lastUsed(t *testing.T, name string) *time.Time {
	t.Helper()
	k, err := b.st.KeyGet(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return k.LastUsedAt
}

// countingStore is a real KeyStore that counts the writes of last-used
// times and lets a test act right after a key is read by hash.
type countingStore struct {
	store.KeyStore
	touches atomic.Int64

	mu          sync.Mutex
	afterByHash func()
}

// KeyTouch counts and passes the call on.
func (s *countingStore) KeyTouch(ctx context.Context, name string, at time.Time) error {
	s.touches.Add(1)
	return s.KeyStore.KeyTouch(ctx, name, at)
}

// KeyByHash passes the call on, then runs the hook set by onByHash once.
func (s *countingStore) KeyByHash(ctx context.Context, hash string) (*store.APIKey, error) {
	k, err := s.KeyStore.KeyByHash(ctx, hash)
	s.mu.Lock()
	f := s.afterByHash
	s.afterByHash = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return k, err
}

func (s *countingStore) onByHash(f func()) {
	s.mu.Lock()
	s.afterByHash = f
	s.mu.Unlock()
}
