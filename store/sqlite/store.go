package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ordohq/ordo/store"
)

// Options configure Open. A nil *Options means every default.
type Options struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// process (another ordo binary on the same file) before failing.
	// Default 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read-only connection pool used by
	// InstanceGet, InstanceList, JournalLoad and NextWakeAt. Writes always
	// go through one dedicated connection. Default 4.
	ReadConns int
}

func (o *Options) withDefaults() (Options, error) {
	var out Options
	if o != nil {
		out = *o
	}
	if out.BusyTimeout == 0 {
		out.BusyTimeout = 5 * time.Second
	}
	if out.ReadConns == 0 {
		out.ReadConns = 4
	}
	if out.BusyTimeout < 0 {
		return out, fmt.Errorf("sqlite: Options.BusyTimeout %v is negative", out.BusyTimeout)
	}
	if out.ReadConns < 0 {
		return out, fmt.Errorf("sqlite: Options.ReadConns %d is negative", out.ReadConns)
	}
	return out, nil
}

// Store is the SQLite implementation of store.Store. Create one with Open
// and migrate it with Migrate before use.
type Store struct {
	path string
	// write is a pool of exactly one connection: SQLite has a single
	// writer, so writers queue here instead of contending for the lock.
	write *sql.DB
	// read is a pool of query_only connections; WAL lets them read while
	// the writer writes.
	read *sql.DB

	stmts stmtCache

	hooks hookCache // the webhooks, for Commit (webhooks.go)

	purgeLock store.LocalLock // store.PurgeStore

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it and its parent directory if needed) the SQLite
// database at path. It configures WAL, synchronous=FULL, busy_timeout and
// foreign keys, but does not create or update the schema: call Migrate.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	write, err := sql.Open("sqlite", dsn(abs, o.BusyTimeout, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL, which
	// the read connections then find in place.
	var mode string
	if err := write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if mode != "wal" {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %q: journal_mode is %q, want wal", path, mode)
	}

	read, err := sql.Open("sqlite", dsn(abs, o.BusyTimeout, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	read.SetMaxOpenConns(o.ReadConns)
	read.SetMaxIdleConns(o.ReadConns)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	s := &Store{path: abs, write: write, read: read}
	s.stmts.db = write
	return s, nil
}

// dsn builds the modernc.org/sqlite data source name for the file at the
// absolute path p. Write connections start transactions with BEGIN
// IMMEDIATE; read connections are query_only.
func dsn(p string, busy time.Duration, write bool) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
	q := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)",
		busy.Milliseconds())
	if write {
		q += "&_txlock=immediate"
	} else {
		q += "&_pragma=query_only(1)"
	}
	return u.String() + "?" + q
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		s.closeErr = errors.Join(s.read.Close(), s.write.Close())
	})
	return s.closeErr
}

// stmtCache holds the write statements, prepared on the write
// connection and bound to each transaction with Tx.StmtContext, which
// reuses the connection's prepared statement. They are prepared together,
// outside any transaction (the pool's one connection is busy during a
// transaction), on the first write after the schema exists, then
// published at once: get never blocks, so a transaction can never wait on
// a goroutine that is itself waiting for the connection.
type stmtCache struct {
	db       *sql.DB
	mu       sync.Mutex // serialises prepare and close
	prepared atomic.Pointer[map[string]*sql.Stmt]
}

// prepare prepares every query in writeQueries, once.
func (c *stmtCache) prepare(ctx context.Context) error {
	if c.prepared.Load() != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prepared.Load() != nil {
		return nil
	}
	m := make(map[string]*sql.Stmt, len(writeQueries))
	for _, q := range writeQueries {
		if _, ok := m[q]; ok {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range m {
				st.Close()
			}
			return fmt.Errorf("prepare (is the schema migrated?): %w", err)
		}
		m[q] = st
	}
	c.prepared.Store(&m)
	return nil
}

// get returns the prepared statement for query, or nil when query is not
// one of writeQueries (or nothing is prepared yet).
func (c *stmtCache) get(query string) *sql.Stmt {
	if m := c.prepared.Load(); m != nil {
		return (*m)[query]
	}
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.prepared.Swap(nil); m != nil {
		for _, st := range *m {
			st.Close()
		}
	}
}

// writeQueries lists every statement a write transaction runs.
var writeQueries = append([]string{
	sqlInstanceInsert, sqlInstanceInsertStatus, sqlInstanceGet,
	sqlClaimExpired, sqlClaimDue, sqlClaimQueued, sqlClaimTake, sqlHeartbeat,
	sqlFence, sqlStatus, sqlStepUpsert, sqlAttemptInsert, sqlEventConsume, sqlAwaitedEvent,
	sqlControlStatus, sqlPause, sqlResume, sqlTerminate, sqlRestart,
	sqlRestartInstance, sqlRunStarted, sqlRunInsert, sqlUnconsumeStep, sqlDeleteAttempts, sqlDeleteStep, sqlResetComp,
	sqlEventInstance, sqlEventInsert, sqlEventCount,
}, append(append(sqlJournalTouch[:], sqlInstanceUpdate[:]...), rowQueries()...)...)

// writeTx is a write transaction with its statements bound once each.
type writeTx struct {
	ctx   context.Context
	s     *Store
	tx    *sql.Tx
	bound map[string]*sql.Stmt
}

// begin starts a write transaction (BEGIN IMMEDIATE, on the one write
// connection).
func (s *Store) begin(ctx context.Context) (*writeTx, error) {
	if err := s.stmts.prepare(ctx); err != nil {
		return nil, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &writeTx{ctx: ctx, s: s, tx: tx}, nil
}

func (w *writeTx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.bound[query]; ok {
		return st, nil
	}
	var err error
	st := w.s.stmts.get(query)
	if st != nil {
		st = w.tx.StmtContext(w.ctx, st)
	} else {
		// Not a listed statement: prepare it on the transaction's
		// connection for this transaction only.
		if st, err = w.tx.PrepareContext(w.ctx, query); err != nil {
			return nil, err
		}
	}
	if w.bound == nil {
		w.bound = make(map[string]*sql.Stmt)
	}
	w.bound[query] = st
	return st, nil
}

func (w *writeTx) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *writeTx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

func (w *writeTx) queryRow(query string, args ...any) scanner {
	st, err := w.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(w.ctx, args...)
}

func (w *writeTx) commit() error { return w.tx.Commit() }

// rollback ends a transaction that did not commit; after a commit it is a
// no-op, so it can be deferred.
func (w *writeTx) rollback() { _ = w.tx.Rollback() }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// errRow is a scanner that fails with err.
type errRow struct{ err error }

// Scan returns the error.
func (r errRow) Scan(...any) error { return r.err }
