package pgartifact_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/metrics"
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

// TestLegacyRowsReadable: a table from before chunked content (content in
// the row, NOT NULL) is migrated in place; its rows read as before, and
// replacing one moves it to chunks.
func TestLegacyRowsReadable(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), `CREATE TABLE artifacts (
		name text COLLATE "C" NOT NULL PRIMARY KEY, content bytea NOT NULL, size bigint NOT NULL,
		sha256 text NOT NULL, content_type text NOT NULL, created_at timestamptz NOT NULL);
		INSERT INTO artifacts VALUES ('old.stl', 'solid old', 9, 'x', 'model/stl', now())`); err != nil {
		t.Fatal(err)
	}
	s, err := pgartifact.New(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		rc, _, err := s.Open(t.Context(), "old.stl")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(); got != "solid old" {
		t.Errorf("legacy row reads %q", got)
	}
	if _, err := s.Put(t.Context(), "old.stl", strings.NewReader("solid new")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "solid new" {
		t.Errorf("replaced legacy row reads %q", got)
	}
}

// TestReplacedWhileReading: a reader of an artifact that is replaced
// midway fails instead of returning a mix of both contents.
func TestReplacedWhileReading(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	first := bytes.Repeat([]byte("a"), 3<<20)
	if _, err := s.Put(t.Context(), "f.stl", bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(t.Context(), "f.stl")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), "f.stl", bytes.NewReader(bytes.Repeat([]byte("b"), 3<<20))); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rc)
	if err == nil || bytes.ContainsRune(rest, 'b') {
		t.Errorf("reading on after a replace: %d more bytes, %v; want an error and no new content", len(rest), err)
	}
}

// TestPutStreams: a Put of 64 MiB holds a chunk at a time, not the content.
func TestPutStreams(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	const size = 64 << 20
	var peak uint64
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	src := io.LimitReader(readerFunc(func(p []byte) (int, error) {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
		for i := range p {
			p[i] = byte(i)
		}
		return len(p), nil
	}), size)
	inf, err := s.Put(t.Context(), "big.stl", src)
	if err != nil || inf.Size != size {
		t.Fatalf("Put = %+v, %v", inf, err)
	}
	// Other tests run in parallel, so allow them some heap too.
	if grew := int64(peak) - int64(base); grew > 24<<20 {
		t.Errorf("the heap grew by %d MiB during a Put of %d MiB", grew>>20, size>>20)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
