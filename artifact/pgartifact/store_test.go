package pgartifact_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/artifact/artifacttest"
	"github.com/ordohq/ordo/artifact/pgartifact"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

func TestConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store { return open(t, nil) })
}

// open returns a migrated Store in a fresh schema.
func open(t *testing.T, cfg *pgartifact.Config) *pgartifact.Store {
	t.Helper()
	url, _ := pgtest.Schema(t)
	pool, err := pgxpool.New(context.Background(), url+"&pool_max_conns=4")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := pgartifact.New(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Twice, as two starting workers would.
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return s
}

// TestSharedAcrossStores: what one worker's store puts, another's reads.
func TestSharedAcrossStores(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	var stores [2]*pgartifact.Store
	for i := range stores {
		pool, err := pgxpool.New(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if stores[i], err = pgartifact.New(pool, nil); err != nil {
			t.Fatal(err)
		}
		if err := stores[i].Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	put, err := stores[0].Put(t.Context(), "orders/o-1/item-0.stl", strings.NewReader("solid x"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := stores[1].Stat(t.Context(), "orders/o-1/item-0.stl")
	if err != nil || got.SHA256 != put.SHA256 || !got.CreatedAt.Equal(put.CreatedAt) {
		t.Fatalf("Stat through the other store = %+v, %v; want %+v", got, err, put)
	}
}

func TestMaxSize(t *testing.T) {
	t.Parallel()
	s := open(t, &pgartifact.Config{MaxSize: 4, Now: func() time.Time { return time.Unix(1, 0) }})
	if _, err := s.Put(t.Context(), "a.stl", strings.NewReader("12345")); !errors.Is(err, pgartifact.ErrTooLarge) {
		t.Fatalf("Put of 5 bytes with MaxSize 4 = %v, want ErrTooLarge", err)
	}
	inf, err := s.Put(t.Context(), "a.stl", strings.NewReader("1234"))
	if err != nil || inf.Size != 4 || !inf.CreatedAt.Equal(time.Unix(1, 0)) {
		t.Fatalf("Put of 4 bytes = %+v, %v", inf, err)
	}
	if _, err := pgartifact.New(nil, nil); err == nil {
		t.Error("New without a pool succeeded")
	}
}
