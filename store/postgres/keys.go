package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.KeyStore = (*Store)(nil)

// keyCols lists the api_keys columns in the order scanKey reads.
const keyCols = `name, scope, hash, prefix, created_by, created_at, last_used_at, revoked_at`

const (
	// sqlKeyCreate inserts a key, or replaces a revoked key of that name;
	// it returns no row when an active key has the name.
	sqlKeyCreate = `INSERT INTO api_keys (name, scope, hash, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET scope = excluded.scope, hash = excluded.hash, prefix = excluded.prefix,
			created_by = excluded.created_by, created_at = excluded.created_at, last_used_at = NULL, revoked_at = NULL
		WHERE api_keys.revoked_at IS NOT NULL
		RETURNING ` + keyCols
	sqlKeyGet    = `SELECT ` + keyCols + ` FROM api_keys WHERE name = $1`
	sqlKeyByHash = `SELECT ` + keyCols + ` FROM api_keys WHERE hash = $1`
	sqlKeyList   = `SELECT ` + keyCols + ` FROM api_keys ORDER BY name`
	sqlKeyRevoke = `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE name = $2 RETURNING ` + keyCols
	sqlKeyTouch  = `UPDATE api_keys SET last_used_at = $1 WHERE name = $2 AND (last_used_at IS NULL OR last_used_at < $1)`
	sqlKeyActive = `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`

	auditCols = `id, at, key, method, path, status, remote_addr`
	// sqlAuditInsert appends a batch in one statement, in array order.
	sqlAuditInsert = `INSERT INTO audit_log (at, key, method, path, status, remote_addr)
		SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[])`
)

// scanKey reads one row of keyCols.
func scanKey(row pgx.Row) (*store.APIKey, error) {
	var k store.APIKey
	if err := row.Scan(&k.Name, &k.Scope, &k.Hash, &k.Prefix, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt = utc(k.LastUsedAt)
	k.RevokedAt = utc(k.RevokedAt)
	return &k, nil
}

// KeyCreate stores a new key, replacing a revoked key of the same name.
func (s *Store) KeyCreate(ctx context.Context, p *store.KeyCreateParams) (*store.APIKey, error) {
	if err := store.ValidateKeyCreate(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("postgres: key create %q: %w", p.Name, err)
	}
	var k *store.APIKey
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if k, err = scanKey(tx.QueryRow(ctx, sqlKeyCreate, p.Name, p.Scope, p.Hash, p.Prefix, p.CreatedBy, ts(now(p.Now)))); err != nil {
			return err
		}
		return insertAction(ctx, tx, audit)
	})
	switch {
	case noRows(err):
		return nil, fmt.Errorf("postgres: key create %q: an active key has the name: %w", p.Name, store.ErrAlreadyExists)
	case pgCode(err) == codeUniqueViolation: // the name's conflict is handled above: the hash
		return nil, fmt.Errorf("postgres: key create %q: another key has the hash: %w", p.Name, store.ErrAlreadyExists)
	case err != nil:
		return nil, fmt.Errorf("postgres: key create %q: %w", p.Name, err)
	}
	return k, nil
}

// KeyGet returns the key named name, or store.ErrNotFound.
func (s *Store) KeyGet(ctx context.Context, name string) (*store.APIKey, error) {
	return s.keyOne(ctx, "key get", name, sqlKeyGet, name)
}

// KeyByHash returns the key whose hash is hash, or store.ErrNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (*store.APIKey, error) {
	return s.keyOne(ctx, "key by hash", "", sqlKeyByHash, hash)
}

// keyOne reads the one key query selects; what and name label errors.
func (s *Store) keyOne(ctx context.Context, what, name, query string, arg any) (*store.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, query, arg))
	if noRows(err) {
		return nil, fmt.Errorf("postgres: %s %q: %w", what, name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %s %q: %w", what, name, err)
	}
	return k, nil
}

// KeyList returns every key, sorted by name.
func (s *Store) KeyList(ctx context.Context) ([]*store.APIKey, error) {
	rows, err := s.pool.Query(ctx, sqlKeyList)
	if err != nil {
		return nil, fmt.Errorf("postgres: key list: %w", err)
	}
	defer rows.Close()
	out := []*store.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: key list: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: key list: %w", err)
	}
	return out, nil
}

// KeyRevoke marks the named key revoked (once) and returns it.
func (s *Store) KeyRevoke(ctx context.Context, name string, at time.Time) (*store.APIKey, error) {
	if err := store.ValidateKeyName(name); err != nil {
		return nil, fmt.Errorf("postgres: key revoke: %w", err)
	}
	k, err := scanKey(s.pool.QueryRow(ctx, sqlKeyRevoke, ts(now(at)), name))
	if noRows(err) {
		return nil, fmt.Errorf("postgres: key revoke %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: key revoke %q: %w", name, err)
	}
	return k, nil
}

// KeyTouch moves the key's last-used time forward to at.
func (s *Store) KeyTouch(ctx context.Context, name string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, sqlKeyTouch, ts(now(at)), name); err != nil {
		return fmt.Errorf("postgres: key touch %q: %w", name, err)
	}
	return nil
}

// KeyActiveCount returns how many keys are not revoked.
func (s *Store) KeyActiveCount(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, sqlKeyActive).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: key active count: %w", err)
	}
	return n, nil
}

// AuditAppend records entries with one statement.
func (s *Store) AuditAppend(ctx context.Context, entries ...*store.AuditEntry) error {
	es, err := store.PrepareAudit(entries)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if len(es) == 0 {
		return nil
	}
	var (
		at                        = make([]time.Time, len(es))
		key, method, path, remote = make([]string, len(es)), make([]string, len(es)), make([]string, len(es)), make([]string, len(es))
		status                    = make([]int32, len(es))
	)
	for i, e := range es {
		at[i], key[i], method[i], path[i], status[i], remote[i] = ts(now(e.At)), e.Key, e.Method, e.Path, int32(e.Status), e.RemoteAddr
	}
	if _, err := s.pool.Exec(ctx, sqlAuditInsert, at, key, method, path, status, remote); err != nil {
		return fmt.Errorf("postgres: audit append: %w", err)
	}
	return nil
}

// AuditList returns audit entries newest first.
func (s *Store) AuditList(ctx context.Context, p *store.AuditListParams) (*store.AuditPage, error) {
	q, err := store.ParseAuditList(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var (
		where []string
		args  []any
	)
	if q.Key != "" {
		args = append(args, q.Key)
		where = append(where, "key = $"+strconv.Itoa(len(args)))
	}
	if q.BeforeID > 0 {
		args = append(args, q.BeforeID)
		where = append(where, "id < $"+strconv.Itoa(len(args)))
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit+1)
	query += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit list: %w", err)
	}
	defer rows.Close()
	var out []*store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Key, &e.Method, &e.Path, &e.Status, &e.RemoteAddr); err != nil {
			return nil, fmt.Errorf("postgres: audit list: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: audit list: %w", err)
	}
	return store.AuditPageOf(q, out), nil
}
