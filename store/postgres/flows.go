package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// flowCols lists the flow_versions columns in the order scanFlow reads.
const flowCols = `name, version, hash, definition, created_at`

const (
	// sqlFlowLock serialises the puts of one flow name (in this schema)
	// until the end of the transaction.
	sqlFlowLock   = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.flow_put.' || current_schema() || '.' || $1, 0))`
	sqlFlowLatest = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = $1 ORDER BY version DESC LIMIT 1`
	sqlFlowGet    = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = $1 AND version = $2`
	sqlFlowInsert = `INSERT INTO flow_versions (name, version, hash, definition, created_at) VALUES ($1, $2, $3, $4, $5)`
	sqlFlowList   = `SELECT DISTINCT ON (name) ` + flowCols + ` FROM flow_versions ORDER BY name, version DESC`
)

// scanFlow reads one row of flowCols.
func scanFlow(row pgx.Row) (*store.FlowVersion, error) {
	var (
		v   store.FlowVersion
		def []byte
	)
	if err := row.Scan(&v.Name, &v.Version, &v.Hash, &def, &v.CreatedAt); err != nil {
		return nil, err
	}
	v.Definition = rawValue(def)
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// FlowPut stores a new version of a flow unless its latest version has the
// same hash (then it returns that version with created false). Puts of one
// name are serialised by a transaction-scoped advisory lock, so concurrent
// puts from any process get consecutive version numbers.
func (s *Store) FlowPut(ctx context.Context, p *store.FlowPutParams) (*store.FlowVersion, bool, error) {
	if p == nil || p.Name == "" || p.Hash == "" || len(p.Definition) == 0 {
		return nil, false, errors.New("postgres: flow put: Name, Hash and Definition are required")
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: flow put %q: %w", p.Name, err)
	}
	var (
		v       *store.FlowVersion
		created bool
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlFlowLock, p.Name); err != nil {
			return err
		}
		next := 1
		latest, err := scanFlow(tx.QueryRow(ctx, sqlFlowLatest, p.Name))
		switch {
		case noRows(err):
		case err != nil:
			return err
		case latest.Hash == p.Hash:
			v = latest
			return nil
		default:
			next = latest.Version + 1
		}
		v = &store.FlowVersion{Name: p.Name, Version: next, Hash: p.Hash,
			Definition: append([]byte(nil), p.Definition...), CreatedAt: ts(now(p.Now))}
		if _, err := tx.Exec(ctx, sqlFlowInsert, v.Name, v.Version, v.Hash, []byte(v.Definition), v.CreatedAt); err != nil {
			return fmt.Errorf("version %d: %w", next, err)
		}
		created = true
		if audit != nil {
			return insertAction(ctx, tx, store.FlowApplied(audit, next-1, v))
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: flow put %q: %w", p.Name, err)
	}
	return v, created, nil
}

// FlowGet returns one version of a flow, the latest when version is 0.
func (s *Store) FlowGet(ctx context.Context, name string, version int) (*store.FlowVersion, error) {
	var row pgx.Row
	if version == 0 {
		row = s.pool.QueryRow(ctx, sqlFlowLatest, name)
	} else {
		row = s.pool.QueryRow(ctx, sqlFlowGet, name, version)
	}
	v, err := scanFlow(row)
	if noRows(err) {
		if version == 0 {
			return nil, fmt.Errorf("postgres: flow get %q: %w", name, store.ErrNotFound)
		}
		return nil, fmt.Errorf("postgres: flow get %q version %d: %w", name, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: flow get %q: %w", name, err)
	}
	return v, nil
}

// FlowList returns the latest version of every flow, sorted by name.
func (s *Store) FlowList(ctx context.Context) ([]*store.FlowVersion, error) {
	rows, err := s.pool.Query(ctx, sqlFlowList)
	if err != nil {
		return nil, fmt.Errorf("postgres: flow list: %w", err)
	}
	defer rows.Close()
	out := []*store.FlowVersion{}
	for rows.Next() {
		v, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: flow list: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: flow list: %w", err)
	}
	return out, nil
}
