package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

func TestOpenCreatesFileWithoutMigrating(t *testing.T) {
	t.Parallel()
	// Characters a file: URI would misread unless escaped.
	path := filepath.Join(t.TempDir(), "a dir?#%", "sub", "ordo.db")
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	current, latest, err := s.SchemaVersion(t.Context())
	if err != nil || current != 0 || latest < 1 {
		t.Fatalf("SchemaVersion before Migrate = %d, %d, %v; want 0, >= 1", current, latest, err)
	}
	// Before Migrate, methods fail cleanly.
	if _, err := s.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf"}); err == nil {
		t.Error("InstanceCreate before Migrate succeeded")
	}
	if _, err := s.InstanceGet(t.Context(), "a"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("InstanceGet before Migrate = %v, want a schema error", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := s.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf"}); err != nil {
		t.Fatalf("InstanceCreate after Migrate: %v", err)
	}
	var mode string
	var sync int
	if err := s.write.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.write.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	var fk int
	if err := s.read.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys on a read connection = %d, %v; want 1", fk, err)
	}
}

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ordo.db")
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for i := range 3 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	current, latest, err := s.SchemaVersion(t.Context())
	if err != nil || current != latest {
		t.Fatalf("SchemaVersion = %d, %d, %v; want equal", current, latest, err)
	}
	if _, err := s.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "a", Workflow: "wf", Params: json.RawMessage(`1`)}); err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// Reopened, the data is there and Migrate has nothing to do.
	s, err = Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate after reopen: %v", err)
	}
	if in, err := s.InstanceGet(t.Context(), "a"); err != nil || string(in.Params) != "1" {
		t.Fatalf("InstanceGet after reopen = %v, %v", in, err)
	}

	// A schema newer than the binary is refused.
	if _, err := s.write.Exec(fmt.Sprintf("PRAGMA user_version = %d", latest+1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err == nil {
		t.Fatal("Migrate accepted a newer schema")
	}
}

func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ordo.db")
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			s, err := Open(t.Context(), path, nil)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(t.Context())
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	for _, o := range []*Options{{BusyTimeout: -1}, {ReadConns: -1}} {
		if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), o); err == nil {
			t.Errorf("Open with %+v succeeded", o)
		}
	}
	if _, err := Open(t.Context(), "", nil); err == nil {
		t.Error("Open with an empty path succeeded")
	}
}

func TestMeasureInsertBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rate, err := MeasureInsertBaseline(t.Context(), dir, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("MeasureInsertBaseline: %v", err)
	}
	if rate <= 0 {
		t.Errorf("rate = %v, want > 0", rate)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left %d entries in dir", len(left))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := MeasureInsertBaseline(ctx, dir, time.Second); err == nil {
		t.Error("MeasureInsertBaseline with a cancelled context succeeded")
	}
}
