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

// maxMaxSize is the largest Config.MaxSize: 64 GiB.
const maxMaxSize = 64 << 30

// chunkSize is the length of the rows content is stored in: Put holds one
// chunk in memory at a time, and a reader fetches one per query.
const chunkSize = 1 << 20

// ErrTooLarge is wrapped by the error Put returns for content longer than
// Config.MaxSize.
var ErrTooLarge = errors.New("pgartifact: artifact too large")

// Config configures a Store. A nil *Config means every default.
type Config struct {
	// Now returns the time recorded as CreatedAt. Default time.Now.
	Now func() time.Time
	// MaxSize is the largest content Put accepts, in bytes. Default
	// DefaultMaxSize; at most 64 GiB.
	MaxSize int64
}

// Store is an artifact.Store on a PostgreSQL pool. Create it with New and
// create its tables with Migrate. It is safe for concurrent use, from any
// number of processes.
type Store struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	maxSize int64
}

var _ artifact.Store = (*Store)(nil)

// New returns a Store using pool, whose search_path decides the schema of
// its tables. It does not touch the database; the pool stays the caller's
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
	if c.MaxSize < 0 || c.MaxSize > maxMaxSize {
		return nil, fmt.Errorf("pgartifact: Config.MaxSize %d must be between 1 and 64 GiB", c.MaxSize)
	}
	return &Store{pool: pool, now: c.Now, maxSize: c.MaxSize}, nil
}

// The artifacts table holds one row per artifact; its content lives in
// artifact_chunks, one row per chunkSize bytes, under the generation the
// row names. Rows written before chunks existed keep their content in the
// artifacts row itself (generation NULL), and are read from there.
const (
	sqlMigrate = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.artifacts.migrate.' || current_schema(), 0));
CREATE TABLE IF NOT EXISTS artifacts (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    content      bytea,
    size         bigint      NOT NULL,
    sha256       text        NOT NULL,
    content_type text        NOT NULL,
    created_at   timestamptz NOT NULL,
    generation   bigint
);
ALTER TABLE artifacts ALTER COLUMN content DROP NOT NULL;
ALTER TABLE artifacts ADD COLUMN IF NOT EXISTS generation bigint;
CREATE SEQUENCE IF NOT EXISTS artifact_generation;
CREATE TABLE IF NOT EXISTS artifact_chunks (
    name       text COLLATE "C" NOT NULL,
    generation bigint  NOT NULL,
    seq        integer NOT NULL,
    data       bytea   NOT NULL,
    PRIMARY KEY (name, generation, seq)
)`
	sqlNextGeneration = `SELECT nextval('artifact_generation')`
	sqlPutChunk       = `INSERT INTO artifact_chunks (name, generation, seq, data) VALUES ($1, $2, $3, $4)`
	sqlPut            = `INSERT INTO artifacts (name, content, size, sha256, content_type, created_at, generation)
		VALUES ($1, NULL, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET content = NULL, size = excluded.size, sha256 = excluded.sha256,
			content_type = excluded.content_type, created_at = excluded.created_at, generation = excluded.generation`
	sqlDropOtherChunks = `DELETE FROM artifact_chunks WHERE name = $1 AND generation <> $2`
	sqlOpen            = `SELECT size, sha256, content_type, created_at, generation, content FROM artifacts WHERE name = $1`
	sqlChunk           = `SELECT data FROM artifact_chunks WHERE name = $1 AND generation = $2 AND seq = $3`
	sqlStat            = `SELECT size, sha256, content_type, created_at FROM artifacts WHERE name = $1`
	sqlList            = `SELECT name, size, sha256, content_type, created_at FROM artifacts WHERE name >= $1 AND starts_with(name, $1) ORDER BY name`
	sqlDelete          = `DELETE FROM artifacts WHERE name = $1`
	sqlDeleteChunks    = `DELETE FROM artifact_chunks WHERE name = $1`
)

// Migrate creates the tables if they do not exist, and moves a table of an
// earlier version (content in the row) to chunked content; its rows stay
// readable as they are. Several processes may call it at once: an advisory
// lock serialises them.
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

// Put implements artifact.Store: it streams r into chunks of 1 MiB inside
// one transaction, then points the artifact's row at them and drops the
// chunks of the content it replaces, so memory does not grow with the
// content and readers see the old content or the new one.
func (s *Store) Put(ctx context.Context, name string, r io.Reader) (*artifact.Info, error) {
	if err := artifact.ValidateName(name); err != nil {
		return nil, err
	}
	var inf *artifact.Info
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var gen int64
		if err := tx.QueryRow(ctx, sqlNextGeneration).Scan(&gen); err != nil {
			return err
		}
		h := sha256.New()
		buf := make([]byte, chunkSize)
		src := &ctxReader{ctx: ctx, r: r}
		var n int64
		for seq := 0; ; seq++ {
			k, rerr := io.ReadFull(src, buf)
			if k > 0 {
				if n += int64(k); n > s.maxSize {
					return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.maxSize)
				}
				h.Write(buf[:k])
				if _, err := tx.Exec(ctx, sqlPutChunk, name, gen, seq, buf[:k]); err != nil {
					return err
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		inf = &artifact.Info{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
			ContentType: artifact.ContentType(name), CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
		if _, err := tx.Exec(ctx, sqlPut, name, inf.Size, inf.SHA256, inf.ContentType, inf.CreatedAt, gen); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlDropOtherChunks, name, gen)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgartifact: put %q: %w", name, err)
	}
	return inf, nil
}

// Open implements artifact.Store. The reader fetches the content one
// chunk per query as it is read, with ctx, so no connection is held
// between reads. A Put or Delete of the same name that commits while the
// content is being read makes the next Read fail rather than mix contents.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, *artifact.Info, error) {
	if err := artifact.ValidateName(name); err != nil {
		return nil, nil, err
	}
	inf := &artifact.Info{Name: name}
	var gen *int64
	var content []byte
	err := s.pool.QueryRow(ctx, sqlOpen, name).Scan(&inf.Size, &inf.SHA256, &inf.ContentType, &inf.CreatedAt, &gen, &content)
	if err != nil {
		return nil, nil, s.fail("open", name, err)
	}
	inf.CreatedAt = inf.CreatedAt.UTC()
	if gen == nil { // a row from before chunks: the content is in it
		return io.NopCloser(bytes.NewReader(content)), inf, nil
	}
	return &chunkReader{ctx: ctx, s: s, name: name, gen: *gen, left: inf.Size}, inf, nil
}

// chunkReader reads the chunks of one generation of an artifact in order.
type chunkReader struct {
	ctx  context.Context
	s    *Store
	name string
	gen  int64
	seq  int
	left int64  // bytes not yet returned
	buf  []byte // the rest of the current chunk
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		if c.left == 0 {
			return 0, io.EOF
		}
		err := c.s.pool.QueryRow(c.ctx, sqlChunk, c.name, c.gen, c.seq).Scan(&c.buf)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("pgartifact: read %q: replaced or deleted while being read", c.name)
		}
		if err != nil {
			return 0, fmt.Errorf("pgartifact: read %q: %w", c.name, err)
		}
		if int64(len(c.buf)) > c.left {
			return 0, fmt.Errorf("pgartifact: read %q: chunk %d is longer than the artifact", c.name, c.seq)
		}
		c.seq++
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	c.left -= int64(n)
	return n, nil
}

// Close implements io.Closer; there is nothing to release.
func (c *chunkReader) Close() error { return nil }

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
	var found bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlDelete, name)
		if err != nil {
			return err
		}
		found = tag.RowsAffected() > 0
		_, err = tx.Exec(ctx, sqlDeleteChunks, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgartifact: delete %q: %w", name, err)
	}
	if !found {
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
