package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/storetest"
)

func TestPurge(t *testing.T) {
	storetest.RunPurge(t, func(t *testing.T) store.Store { return open(t) })
}

// TestPurgeLockAcrossStores: two stores on one schema (two processes)
// share the purge lock.
func TestPurgeLockAcrossStores(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	openURL := func() *postgres.Store {
		s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 2})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := openURL(), openURL()
	if err := a.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	unlock, ok, err := a.PurgeLock(t.Context())
	if err != nil || !ok {
		t.Fatalf("a.PurgeLock = %v, %v; want true", ok, err)
	}
	if _, ok, err := b.PurgeLock(t.Context()); err != nil || ok {
		t.Fatalf("b.PurgeLock while a holds it = %v, %v; want false", ok, err)
	}
	unlock()
	unlockB, ok, err := b.PurgeLock(t.Context())
	if err != nil || !ok {
		t.Fatalf("b.PurgeLock after a's unlock = %v, %v; want true", ok, err)
	}
	unlockB()
	unlockA, ok, err := a.PurgeLock(t.Context())
	if err != nil || !ok {
		t.Fatalf("a.PurgeLock after b's unlock = %v, %v; want true", ok, err)
	}
	unlockA()
}
