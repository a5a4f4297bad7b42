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
const flowCols = `name, version, hash, definition, created_at, source`

const (
	sqlFlowLatest = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = ? ORDER BY version DESC LIMIT 1`
	sqlFlowGet    = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = ? AND version = ?`
	sqlFlowInsert = `INSERT INTO flow_versions (name, version, hash, definition, created_at, source) VALUES (?, ?, ?, ?, ?, ?)`
	sqlFlowList   = `SELECT ` + flowCols + ` FROM flow_versions f
		WHERE version = (SELECT MAX(version) FROM flow_versions WHERE name = f.name)
		ORDER BY name`
	sqlFlowVersions = `SELECT name, version, hash, NULL, created_at, source FROM flow_versions WHERE name = ? ORDER BY version`
	sqlFlowFileGet  = `SELECT name, path, hash, version FROM flow_files WHERE name = ?`
	sqlFlowFilePut  = `INSERT INTO flow_files (name, path, hash, version, loaded_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET path = excluded.path, hash = excluded.hash,
			version = excluded.version, loaded_at = excluded.loaded_at`
)

// scanFlow reads one row of flowCols.
func scanFlow(sc scanner) (*store.FlowVersion, error) {
	var (
		v         store.FlowVersion
		def       []byte
		createdAt int64
	)
	if err := sc.Scan(&v.Name, &v.Version, &v.Hash, &def, &createdAt, &v.Source); err != nil {
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
	p, err := store.PrepareFlowPut(p)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	defer w.rollback()
	latest, err := w.flowLatest(p.Name)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	if latest != nil && latest.Hash == p.Hash {
		return latest, false, nil
	}
	v, err := w.flowInsert(p, latest)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	if err := w.commit(); err != nil {
		return nil, false, fmt.Errorf("sqlite: flow put %q: %w", p.Name, err)
	}
	return v, true, nil
}

// FlowLoad applies a flow file's content as store.DecideFlowLoad says and
// records the load, in one write transaction.
func (s *Store) FlowLoad(ctx context.Context, p *store.FlowLoadParams) (*store.FlowLoadResult, error) {
	p, err := store.PrepareFlowLoad(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow load %q: %w", p.Name, err)
	}
	defer w.rollback()
	res, err := w.flowLoad(p)
	if err == nil {
		err = w.commit()
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow load %q from %s: %w", p.Name, p.Path, err)
	}
	return res, nil
}

func (w *writeTx) flowLoad(p *store.FlowLoadParams) (*store.FlowLoadResult, error) {
	latest, err := w.flowLatest(p.Name)
	if err != nil {
		return nil, err
	}
	tx := store.FlowLoadTx{Latest: latest,
		Insert: func(put *store.FlowPutParams) (*store.FlowVersion, error) { return w.flowInsert(put, latest) },
		Record: func(f store.FlowFile) error {
			_, err := w.exec(sqlFlowFilePut, f.Name, f.Path, f.Hash, f.Version, micros(now(p.Now)))
			return err
		},
	}
	var last store.FlowFile
	switch err := w.queryRow(sqlFlowFileGet, p.Name).Scan(&last.Name, &last.Path, &last.Hash, &last.Version); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		tx.LastLoad = &last
	}
	return store.RunFlowLoad(p, tx)
}

// flowLatest returns the latest version of a flow, nil when it has none.
func (w *writeTx) flowLatest(name string) (*store.FlowVersion, error) {
	v, err := scanFlow(w.queryRow(sqlFlowLatest, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// flowInsert writes the version after latest (1 when latest is nil), and
// the audit entry of a prepared put (store.PrepareFlowPut).
func (w *writeTx) flowInsert(p *store.FlowPutParams, latest *store.FlowVersion) (*store.FlowVersion, error) {
	next := 1
	if latest != nil {
		next = latest.Version + 1
	}
	v := &store.FlowVersion{Name: p.Name, Version: next, Hash: p.Hash, Source: store.FlowSourceOrDefault(p.Source),
		Definition: append([]byte(nil), p.Definition...), CreatedAt: fromMicros(micros(now(p.Now)))}
	if _, err := w.exec(sqlFlowInsert, v.Name, v.Version, v.Hash, string(v.Definition), micros(v.CreatedAt), v.Source); err != nil {
		return nil, fmt.Errorf("version %d: %w", next, err)
	}
	if p.Audit != nil {
		if err := w.insertAction(store.FlowApplied(p.Audit, next-1, v)); err != nil {
			return nil, fmt.Errorf("version %d: %w", next, err)
		}
	}
	return v, nil
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
	out, err := s.flowRows(ctx, sqlFlowList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow list: %w", err)
	}
	return out, nil
}

// FlowVersions returns every version of a flow without definitions,
// oldest first.
func (s *Store) FlowVersions(ctx context.Context, name string) ([]*store.FlowVersion, error) {
	out, err := s.flowRows(ctx, sqlFlowVersions, name)
	if err == nil && len(out) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: flow versions %q: %w", name, err)
	}
	return out, nil
}

func (s *Store) flowRows(ctx context.Context, q string, args ...any) ([]*store.FlowVersion, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*store.FlowVersion{}
	for rows.Next() {
		v, err := scanFlow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
