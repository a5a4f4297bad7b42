package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in order.
func migrations() ([]migration.Migration, error) {
	return migration.Load(migrationFiles, "migrations")
}

// Migrate brings the schema up to date by applying, in order, the embedded
// migrations newer than the database's PRAGMA user_version, in one
// transaction. It is idempotent, and safe to run from several processes at
// once (BEGIN IMMEDIATE serialises them). It refuses a database whose
// schema is newer than this binary knows.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("sqlite: migrate: read user_version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("sqlite: migrate %s: schema version %d is newer than this binary's %d", s.path, current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: migrate: apply %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			return fmt.Errorf("sqlite: migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the database's schema version (0 before Migrate)
// and the latest version this binary knows.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return current, len(ms), nil
}

// Ready reports whether the database answers and its schema is current
// (store.Readiness).
func (s *Store) Ready(ctx context.Context) error {
	current, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("database unavailable: %w", err)
	}
	return store.CheckSchema(current, latest)
}
