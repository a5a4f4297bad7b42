package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ordohq/ordo/store"
)

var _ store.KeyStore = (*Store)(nil)

// keyCols lists the api_keys columns in the order scanKey reads.
const keyCols = `name, scope, hash, prefix, created_by, created_at, last_used_at, revoked_at`

const (
	// sqlKeyCreate inserts a key, or replaces a revoked key of that name;
	// it returns no row when an active key has the name.
	sqlKeyCreate = `INSERT INTO api_keys (name, scope, hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET scope = excluded.scope, hash = excluded.hash, prefix = excluded.prefix,
			created_by = excluded.created_by, created_at = excluded.created_at, last_used_at = NULL, revoked_at = NULL
		WHERE api_keys.revoked_at IS NOT NULL
		RETURNING ` + keyCols
	sqlKeyGet    = `SELECT ` + keyCols + ` FROM api_keys WHERE name = ?`
	sqlKeyByHash = `SELECT ` + keyCols + ` FROM api_keys WHERE hash = ?`
	sqlKeyList   = `SELECT ` + keyCols + ` FROM api_keys ORDER BY name`
	sqlKeyRevoke = `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE name = ? RETURNING ` + keyCols
	sqlKeyTouch  = `UPDATE api_keys SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)`
	sqlKeyActive = `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`

	auditCols      = `id, at, key, method, path, status, remote_addr`
	sqlAuditInsert = `INSERT INTO audit_log (at, key, method, path, status, remote_addr) VALUES (?, ?, ?, ?, ?, ?)`
)

// scanKey reads one row of keyCols.
func scanKey(sc scanner) (*store.APIKey, error) {
	var (
		k                 store.APIKey
		createdAt         int64
		lastUsed, revoked sql.NullInt64
	)
	if err := sc.Scan(&k.Name, &k.Scope, &k.Hash, &k.Prefix, &k.CreatedBy, &createdAt, &lastUsed, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(createdAt)
	k.LastUsedAt = timePtr(lastUsed)
	k.RevokedAt = timePtr(revoked)
	return &k, nil
}

// KeyCreate stores a new key, replacing a revoked key of the same name.
func (s *Store) KeyCreate(ctx context.Context, p *store.KeyCreateParams) (*store.APIKey, error) {
	if err := store.ValidateKeyCreate(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: key create %q: %w", p.Name, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: key create %q: %w", p.Name, err)
	}
	defer w.rollback()
	k, err := scanKey(w.queryRow(sqlKeyCreate, p.Name, p.Scope, p.Hash, p.Prefix, p.CreatedBy, micros(now(p.Now))))
	if err == nil {
		err = w.insertAction(audit)
	}
	if err == nil {
		err = w.commit()
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlite: key create %q: an active key has the name: %w", p.Name, store.ErrAlreadyExists)
	case uniqueViolation(err): // the name's conflict is handled above: the hash
		return nil, fmt.Errorf("sqlite: key create %q: another key has the hash: %w", p.Name, store.ErrAlreadyExists)
	case err != nil:
		return nil, fmt.Errorf("sqlite: key create %q: %w", p.Name, err)
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
	k, err := scanKey(s.read.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s %q: %w", what, name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s %q: %w", what, name, err)
	}
	return k, nil
}

// KeyList returns every key, sorted by name.
func (s *Store) KeyList(ctx context.Context) ([]*store.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, sqlKeyList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: key list: %w", err)
	}
	defer rows.Close()
	out := []*store.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: key list: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: key list: %w", err)
	}
	return out, nil
}

// KeyRevoke marks the named key revoked (once) and returns it.
func (s *Store) KeyRevoke(ctx context.Context, name string, at time.Time) (*store.APIKey, error) {
	if err := store.ValidateKeyName(name); err != nil {
		return nil, fmt.Errorf("sqlite: key revoke: %w", err)
	}
	k, err := scanKey(s.write.QueryRowContext(ctx, sqlKeyRevoke, micros(now(at)), name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: key revoke %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: key revoke %q: %w", name, err)
	}
	return k, nil
}

// KeyTouch moves the key's last-used time forward to at.
func (s *Store) KeyTouch(ctx context.Context, name string, at time.Time) error {
	t := micros(now(at))
	if _, err := s.write.ExecContext(ctx, sqlKeyTouch, t, name, t); err != nil {
		return fmt.Errorf("sqlite: key touch %q: %w", name, err)
	}
	return nil
}

// KeyActiveCount returns how many keys are not revoked.
func (s *Store) KeyActiveCount(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, sqlKeyActive).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: key active count: %w", err)
	}
	return n, nil
}

// AuditAppend records entries in one transaction.
func (s *Store) AuditAppend(ctx context.Context, entries ...*store.AuditEntry) error {
	es, err := store.PrepareAudit(entries)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if len(es) == 0 {
		return nil
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	defer w.rollback()
	for _, e := range es {
		if _, err := w.exec(sqlAuditInsert, micros(now(e.At)), e.Key, e.Method, e.Path, e.Status, e.RemoteAddr); err != nil {
			return fmt.Errorf("sqlite: audit append: %w", err)
		}
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	return nil
}

// AuditList returns audit entries newest first.
func (s *Store) AuditList(ctx context.Context, p *store.AuditListParams) (*store.AuditPage, error) {
	q, err := store.ParseAuditList(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	var (
		where []string
		args  []any
	)
	if q.Key != "" {
		where, args = append(where, "key = ?"), append(args, q.Key)
	}
	if q.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, q.BeforeID)
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(args, q.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit list: %w", err)
	}
	defer rows.Close()
	var out []*store.AuditEntry
	for rows.Next() {
		var (
			e  store.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Key, &e.Method, &e.Path, &e.Status, &e.RemoteAddr); err != nil {
			return nil, fmt.Errorf("sqlite: audit list: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit list: %w", err)
	}
	return store.AuditPageOf(q, out), nil
}

// uniqueViolation reports whether err is SQLite's UNIQUE constraint error.
func uniqueViolation(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
