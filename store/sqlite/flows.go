package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

var _ store.FlowStore = (*Store)(nil)

// flowCols lists the flow_versions columns in the order scanFlow reads.
const flowCols = `name, version, hash, definition, created_at`

const (
	sqlFlowLatest = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = ? ORDER BY version DESC LIMIT 1`
	sqlFlowGet    = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = ? AND version = ?`
	sqlFlowInsert = `INSERT INTO flow_versions (name, version, hash, definition, created_at) VALUES (?, ?, ?, ?, ?)`
	sqlFlowList   = `SELECT ` + flowCols + ` FROM flow_versions f
		WHERE version = (SELECT MAX(version) FROM flow_versions WHERE name = f.name)
		ORDER BY name`
)

// scanFlow reads one row of flowCols.
func scanFlow(sc scanner) (*store.FlowVersion, error) {
	var (
		v         store.FlowVersion
		def       []byte
		createdAt int64
	)
	if err := sc.Scan(&v.Name, &v.Version, &v.Hash, &def, &createdAt); err != nil {
		return nil, err
	}
	v.Definition = rawValue(def)
	v.CreatedAt = fromMicros(createdAt)
	return &v, nil
}

// FlowPut stores a new version of a flow unless its latest version has the
// same hash (then it returns that version with created false). The read of
// the latest version and the insert share one write transaction (BEGIN
// IMMEDIATE), so concurrent puts are serialised.
func (s *Store) FlowPut(ctx context.Context, p *store.FlowPutParams) (*store.FlowVersion, bool, error) {
	if p == nil || p.Name == "" || p.Hash == "" || len(p.Definition) == 0 {
		return nil, false, errors.New("sqlite: flow put: Name, Hash and Definition are required")
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	defer w.rollback()
	next := 1
	latest, err := scanFlow(w.queryRow(sqlFlowLatest, p.Name))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	case latest.Hash == p.Hash:
		return latest, false, nil
	default:
		next = latest.Version + 1
	}
	v := &store.FlowVersion{Name: p.Name, Version: next, Hash: p.Hash,
		Definition: append([]byte(nil), p.Definition...), CreatedAt: fromMicros(micros(now(p.Now)))}
	if _, err := w.exec(sqlFlowInsert, v.Name, v.Version, v.Hash, string(v.Definition), micros(v.CreatedAt)); err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q version %d: %w", p.Name, next, err)
	}
	if audit != nil {
		if err := w.insertAction(store.FlowApplied(audit, next-1, v)); err != nil {
			return nil, false, fmt.Errorf("sqlite: flow put %q version %d: %w", p.Name, next, err)
		}
	}
	if err := w.commit(); err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	return v, true, nil
}

// FlowGet returns one version of a flow, the latest when version is 0.
func (s *Store) FlowGet(ctx context.Context, name string, version int) (*store.FlowVersion, error) {
	var row *sql.Row
	if version == 0 {
		row = s.read.QueryRowContext(ctx, sqlFlowLatest, name)
	} else {
		row = s.read.QueryRowContext(ctx, sqlFlowGet, name, version)
	}
	v, err := scanFlow(row)
	if errors.Is(err, sql.ErrNoRows) {
		if version == 0 {
			return nil, fmt.Errorf("sqlite: flow get %q: %w", name, store.ErrNotFound)
		}
		return nil, fmt.Errorf("sqlite: flow get %q version %d: %w", name, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow get %q: %w", name, err)
	}
	return v, nil
}

// FlowList returns the latest version of every flow, sorted by name.
func (s *Store) FlowList(ctx context.Context) ([]*store.FlowVersion, error) {
	rows, err := s.read.QueryContext(ctx, sqlFlowList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow list: %w", err)
	}
	defer rows.Close()
	out := []*store.FlowVersion{}
	for rows.Next() {
		v, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: flow list: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: flow list: %w", err)
	}
	return out, nil
}
