package pgartifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordohq/ordo/artifact"
)

// DefaultMaxSize is the largest artifact Put accepts unless Config.MaxSize
// says otherwise: 256 MiB.
const DefaultMaxSize = 256 << 20

// ErrTooLarge is wrapped by the error Put returns for content longer than
// Config.MaxSize.
var ErrTooLarge = errors.New("pgartifact: artifact too large")

// Config configures a Store. A nil *Config means every default.
type Config struct {
	// Now returns the time recorded as CreatedAt. Default time.Now.
	Now func() time.Time
	// MaxSize is the largest content Put accepts, in bytes. Default
	// DefaultMaxSize; at most 1 GiB (PostgreSQL's limit for one value).
	MaxSize int64
}

// Store is an artifact.Store on a PostgreSQL pool. Create it with New and
// create its table with Migrate. It is safe for concurrent use, from any
// number of processes.
type Store struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	maxSize int64
}

var _ artifact.Store = (*Store)(nil)

// New returns a Store using pool, whose search_path decides the schema of
// its table. It does not touch the database; the pool stays the caller's
// to close.
func New(pool *pgxpool.Pool, cfg *Config) (*Store, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if pool == nil {
		return nil, errors.New("pgartifact: pool is required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.MaxSize < 0 || c.MaxSize > 1<<30 {
		return nil, fmt.Errorf("pgartifact: Config.MaxSize %d must be between 1 and 1 GiB", c.MaxSize)
	}
	return &Store{pool: pool, now: c.Now, maxSize: c.MaxSize}, nil
}

const (
	sqlMigrate = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.artifacts.migrate.' || current_schema(), 0));
CREATE TABLE IF NOT EXISTS artifacts (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    content      bytea       NOT NULL,
    size         bigint      NOT NULL,
    sha256       text        NOT NULL,
    content_type text        NOT NULL,
    created_at   timestamptz NOT NULL
)`
	sqlPut = `INSERT INTO artifacts (name, content, size, sha256, content_type, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET content = excluded.content, size = excluded.size,
			sha256 = excluded.sha256, content_type = excluded.content_type, created_at = excluded.created_at`
	sqlOpen   = `SELECT content, size, sha256, content_type, created_at FROM artifacts WHERE name = $1`
	sqlStat   = `SELECT size, sha256, content_type, created_at FROM artifacts WHERE name = $1`
	sqlList   = `SELECT name, size, sha256, content_type, created_at FROM artifacts WHERE name >= $1 AND starts_with(name, $1) ORDER BY name`
	sqlDelete = `DELETE FROM artifacts WHERE name = $1`
)

// Migrate creates the artifacts table if it does not exist. Several
// processes may call it at once: an advisory lock serialises them.
func (s *Store) Migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sqlMigrate)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgartifact: migrate: %w", err)
	}
	return nil
}

// Put implements artifact.Store: it reads r to the end, then stores the
// content in one statement.
func (s *Store) Put(ctx context.Context, name string, r io.Reader) (*artifact.Info, error) {
	if err := artifact.ValidateName(name); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(&ctxReader{ctx: ctx, r: r}, s.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("pgartifact: put %q: %w", name, err)
	}
	if n > s.maxSize {
		return nil, fmt.Errorf("pgartifact: put %q: %w: more than %d bytes", name, ErrTooLarge, s.maxSize)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgartifact: put %q: %w", name, err)
	}
	inf := &artifact.Info{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		ContentType: artifact.ContentType(name), CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if _, err := s.pool.Exec(ctx, sqlPut, name, buf.Bytes(), inf.Size, inf.SHA256, inf.ContentType, inf.CreatedAt); err != nil {
		return nil, fmt.Errorf("pgartifact: put %q: %w", name, err)
	}
	return inf, nil
}

// Open implements artifact.Store. The content is read whole before Open
// returns; closing the reader releases nothing else.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, *artifact.Info, error) {
	if err := artifact.ValidateName(name); err != nil {
		return nil, nil, err
	}
	inf := &artifact.Info{Name: name}
	var content []byte
	err := s.pool.QueryRow(ctx, sqlOpen, name).Scan(&content, &inf.Size, &inf.SHA256, &inf.ContentType, &inf.CreatedAt)
	if err != nil {
		return nil, nil, s.fail("open", name, err)
	}
	inf.CreatedAt = inf.CreatedAt.UTC()
	return io.NopCloser(bytes.NewReader(content)), inf, nil
}

// Stat implements artifact.Store.
func (s *Store) Stat(ctx context.Context, name string) (*artifact.Info, error) {
	if err := artifact.ValidateName(name); err != nil {
		return nil, err
	}
	inf := &artifact.Info{Name: name}
	if err := s.pool.QueryRow(ctx, sqlStat, name).Scan(&inf.Size, &inf.SHA256, &inf.ContentType, &inf.CreatedAt); err != nil {
		return nil, s.fail("stat", name, err)
	}
	inf.CreatedAt = inf.CreatedAt.UTC()
	return inf, nil
}

// List implements artifact.Store: names are compared bytewise.
func (s *Store) List(ctx context.Context, prefix string) ([]*artifact.Info, error) {
	rows, err := s.pool.Query(ctx, sqlList, prefix)
	if err != nil {
		return nil, fmt.Errorf("pgartifact: list %q: %w", prefix, err)
	}
	defer rows.Close()
	var out []*artifact.Info
	for rows.Next() {
		inf := &artifact.Info{}
		if err := rows.Scan(&inf.Name, &inf.Size, &inf.SHA256, &inf.ContentType, &inf.CreatedAt); err != nil {
			return nil, fmt.Errorf("pgartifact: list %q: %w", prefix, err)
		}
		inf.CreatedAt = inf.CreatedAt.UTC()
		out = append(out, inf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgartifact: list %q: %w", prefix, err)
	}
	return out, nil
}

// Delete implements artifact.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := artifact.ValidateName(name); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, sqlDelete, name)
	if err != nil {
		return fmt.Errorf("pgartifact: delete %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgartifact: delete %q: %w", name, artifact.ErrNotFound)
	}
	return nil
}

// fail wraps a query error, translating a missing row to ErrNotFound.
func (s *Store) fail(op, name string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgartifact: %s %q: %w", op, name, artifact.ErrNotFound)
	}
	return fmt.Errorf("pgartifact: %s %q: %w", op, name, err)
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
