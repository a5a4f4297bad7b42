package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/internal/migration"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in order.
func migrations() ([]migration.Migration, error) {
	return migration.Load(migrationFiles, "migrations")
}

const (
	// sqlMigrateLock serialises migrations of one schema across every
	// process until the migrating transaction ends.
	sqlMigrateLock  = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.migrate.' || $1, 0))`
	sqlSchemaExists = `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`
	sqlMigrateTable = `CREATE TABLE IF NOT EXISTS ordo_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	sqlMigrateCurrent = `SELECT coalesce(max(version), 0) FROM ordo_migrations`
	sqlMigrateRecord  = `INSERT INTO ordo_migrations (version, name) VALUES ($1, $2)`
	sqlTableExists    = `SELECT to_regclass(quote_ident($1) || '.ordo_migrations') IS NOT NULL`
)

// Migrate brings the schema up to date by applying, in order, the embedded
// migrations newer than the ones recorded in the ordo_migrations table,
// all in one transaction (PostgreSQL's DDL is transactional: a failed
// migration leaves nothing behind). It creates the schema (Options.Schema)
// if it does not exist. It is idempotent and safe to run from several
// processes at once: a transaction-scoped advisory lock, one per schema,
// lets one process migrate while the others wait and then find nothing to
// do. It refuses a database whose schema is newer than this binary knows.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlMigrateLock, s.schema); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, sqlSchemaExists, s.schema).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return fmt.Errorf("create schema %q: %w", s.schema, err)
			}
		}
		if _, err := tx.Exec(ctx, sqlMigrateTable); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, sqlMigrateCurrent).Scan(&current); err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("schema %q is at version %d, newer than this binary's %d", s.schema, current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, sqlMigrateRecord, m.Version, m.Name); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the database's schema version (0 before Migrate)
// and the latest version this binary knows.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, sqlTableExists, s.schema).Scan(&exists); err != nil {
		return 0, 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	if exists {
		if err := s.pool.QueryRow(ctx, sqlMigrateCurrent).Scan(&current); err != nil {
			return 0, 0, fmt.Errorf("postgres: schema version: %w", err)
		}
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
