package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// flowCols lists the flow_versions columns in the order scanFlow reads.
const flowCols = `name, version, hash, definition, created_at, source`

const (
	// sqlFlowLock serialises the puts and loads of one flow name (in this
	// schema) until the end of the transaction.
	sqlFlowLock     = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.flow_put.' || current_schema() || '.' || $1, 0))`
	sqlFlowLatest   = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = $1 ORDER BY version DESC LIMIT 1`
	sqlFlowGet      = `SELECT ` + flowCols + ` FROM flow_versions WHERE name = $1 AND version = $2`
	sqlFlowInsert   = `INSERT INTO flow_versions (name, version, hash, definition, created_at, source) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlFlowList     = `SELECT DISTINCT ON (name) ` + flowCols + ` FROM flow_versions ORDER BY name, version DESC`
	sqlFlowVersions = `SELECT name, version, hash, NULL::bytea, created_at, source FROM flow_versions WHERE name = $1 ORDER BY version`
	sqlFlowFileGet  = `SELECT name, path, hash, version FROM flow_files WHERE name = $1`
	sqlFlowFilePut  = `INSERT INTO flow_files (name, path, hash, version, loaded_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET path = excluded.path, hash = excluded.hash,
			version = excluded.version, loaded_at = excluded.loaded_at`
)

// scanFlow reads one row of flowCols.
func scanFlow(row pgx.Row) (*store.FlowVersion, error) {
	var (
		v   store.FlowVersion
		def []byte
	)
	if err := row.Scan(&v.Name, &v.Version, &v.Hash, &def, &v.CreatedAt, &v.Source); err != nil {
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
	p, err := store.PrepareFlowPut(p)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: %w", err)
	}
	var (
		v       *store.FlowVersion
		created bool
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		latest, err := flowLockLatest(ctx, tx, p.Name)
		if err != nil {
			return err
		}
		if latest != nil && latest.Hash == p.Hash {
			v = latest
			return nil
		}
		v, err = flowInsert(ctx, tx, p, latest)
		created = err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: flow put %q: %w", p.Name, err)
	}
	return v, created, nil
}

// FlowLoad applies a flow file's content as store.DecideFlowLoad says and
// records the load, in one transaction under the flow's advisory lock, so
// workers starting together with the same --flows agree.
func (s *Store) FlowLoad(ctx context.Context, p *store.FlowLoadParams) (*store.FlowLoadResult, error) {
	p, err := store.PrepareFlowLoad(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var res *store.FlowLoadResult
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		latest, err := flowLockLatest(ctx, tx, p.Name)
		if err != nil {
			return err
		}
		ltx := store.FlowLoadTx{Latest: latest,
			Insert: func(put *store.FlowPutParams) (*store.FlowVersion, error) { return flowInsert(ctx, tx, put, latest) },
			Record: func(f store.FlowFile) error {
				_, err := tx.Exec(ctx, sqlFlowFilePut, f.Name, f.Path, f.Hash, f.Version, ts(now(p.Now)))
				return err
			},
		}
		var last store.FlowFile
		switch err := tx.QueryRow(ctx, sqlFlowFileGet, p.Name).Scan(&last.Name, &last.Path, &last.Hash, &last.Version); {
		case noRows(err):
		case err != nil:
			return err
		default:
			ltx.LastLoad = &last
		}
		res, err = store.RunFlowLoad(p, ltx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: flow load %q from %s: %w", p.Name, p.Path, err)
	}
	return res, nil
}

// flowLockLatest takes the flow's advisory lock and returns its latest
// version, nil when it has none.
func flowLockLatest(ctx context.Context, tx pgx.Tx, name string) (*store.FlowVersion, error) {
	if _, err := tx.Exec(ctx, sqlFlowLock, name); err != nil {
		return nil, err
	}
	v, err := scanFlow(tx.QueryRow(ctx, sqlFlowLatest, name))
	if noRows(err) {
		return nil, nil
	}
	return v, err
}

// flowInsert writes the version after latest (1 when latest is nil), and
// the audit entry of a prepared put (store.PrepareFlowPut).
func flowInsert(ctx context.Context, tx pgx.Tx, p *store.FlowPutParams, latest *store.FlowVersion) (*store.FlowVersion, error) {
	next := 1
	if latest != nil {
		next = latest.Version + 1
	}
	v := &store.FlowVersion{Name: p.Name, Version: next, Hash: p.Hash, Source: store.FlowSourceOrDefault(p.Source),
		Definition: append([]byte(nil), p.Definition...), CreatedAt: ts(now(p.Now))}
	if _, err := tx.Exec(ctx, sqlFlowInsert, v.Name, v.Version, v.Hash, []byte(v.Definition), v.CreatedAt, v.Source); err != nil {
		return nil, fmt.Errorf("version %d: %w", next, err)
	}
	if p.Audit != nil {
		if err := insertAction(ctx, tx, store.FlowApplied(p.Audit, next-1, v)); err != nil {
			return nil, fmt.Errorf("version %d: %w", next, err)
		}
	}
	return v, nil
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
	out, err := s.flowRows(ctx, sqlFlowList)
	if err != nil {
		return nil, fmt.Errorf("postgres: flow list: %w", err)
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
		return nil, fmt.Errorf("postgres: flow versions %q: %w", name, err)
	}
	return out, nil
}

func (s *Store) flowRows(ctx context.Context, q string, args ...any) ([]*store.FlowVersion, error) {
	rows, err := s.pool.Query(ctx, q, args...)
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
