package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordohq/ordo/store"
)

// Options configure Open. A nil *Options means every default.
type Options struct {
	// MaxConns is the size of the connection pool. Default: the connection
	// string's pool_max_conns, else 10. The LISTEN connection of
	// Store.Wakeups is extra.
	MaxConns int32
	// Schema, if set, is the schema the tables live in: every connection
	// gets search_path set to it, and Migrate creates it if needed.
	// Default: the connection's search_path (usually public).
	Schema string
	// Logger receives what the wake-up listener logs (lost connections,
	// reconnects). Default slog.Default().
	Logger *slog.Logger
	// Tracer, if set, traces every statement of every connection, the
	// pool's and the wake-up listener's (pgx.ConnConfig.Tracer; it may
	// also implement pgx.BatchTracer and pgx.PrepareTracer). `ordo bench`
	// counts round trips with it. Default: none.
	Tracer pgx.QueryTracer
	// CommitLanes is how many commit batches an engine on this store keeps
	// in flight at once (store.ParallelCommitter): with more than one, an
	// instance created while a batch of other instances' step results
	// commits does not wait for it, and the batches' work spreads over
	// the server's cores. At most MaxConns. Default 2.
	CommitLanes int
}

// Store is the PostgreSQL implementation of store.Store, store.FlowStore
// and store.Waker. Create one with Open and migrate it with Migrate before
// use. It is safe for concurrent use by any number of goroutines and
// processes.
type Store struct {
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig // for the LISTEN connections
	schema  string          // the schema the tables live in
	channel string          // the NOTIFY channel of this schema
	log     *slog.Logger

	prefetch prefetch // journals read by InstanceClaim
	lanes    int      // Options.CommitLanes

	closeOnce sync.Once
	closed    chan struct{} // closed by Close; ends the listeners
}

var (
	_ store.Store     = (*Store)(nil)
	_ store.FlowStore = (*Store)(nil)
	_ store.Waker     = (*Store)(nil)

	_ store.ParallelCommitter = (*Store)(nil)
)

// Open connects a pool to the database at connString (a postgres:// URL or
// a key=value string, as pgx accepts) and checks that it answers. It does
// not create or update the schema: call Migrate.
func Open(ctx context.Context, connString string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxConns < 0 {
		return nil, fmt.Errorf("postgres: Options.MaxConns %d is negative", o.MaxConns)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CommitLanes < 0 {
		return nil, fmt.Errorf("postgres: Options.CommitLanes %d is negative", o.CommitLanes)
	}
	if o.CommitLanes == 0 {
		o.CommitLanes = defaultCommitLanes
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx redacts the password in its message.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	} else if _, set := cfg.ConnConfig.RuntimeParams["pool_max_conns"]; !set && cfg.MaxConns < 10 {
		cfg.MaxConns = 10
	}
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		// JIT compiles a statement whose estimated cost passes
		// jit_above_cost, at every execution: for the commit batch, a
		// statement of a few rows, that costs seconds whenever an
		// estimate is off (with enable_seqscan=off, every run). The
		// store runs short statements only. A connection string's jit
		// wins.
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", describe(cfg.ConnConfig), err)
	}
	schema := o.Schema
	if schema == "" {
		var cur *string
		if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: open %s: %w", describe(cfg.ConnConfig), err)
		}
		if cur == nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: open %s: no schema on the search_path exists (set Options.Schema, or create it)", describe(cfg.ConnConfig))
		}
		schema = *cur
	} else if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", describe(cfg.ConnConfig), err)
	}
	return &Store{
		pool:    pool,
		connCfg: cfg.ConnConfig.Copy(),
		schema:  schema,
		channel: channelName(schema),
		log:     o.Logger,
		lanes:   min(o.CommitLanes, int(cfg.MaxConns)),
		closed:  make(chan struct{}),
	}, nil
}

// defaultCommitLanes is Options.CommitLanes's default.
const defaultCommitLanes = 2

// CommitLanes returns Options.CommitLanes: how many Commit calls an
// engine keeps in flight at once (store.ParallelCommitter).
func (s *Store) CommitLanes() int { return s.lanes }

// describe names a database without its password, for error messages.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// channelName is the NOTIFY channel of the tables in schema: one per
// schema, so installations sharing a database do not wake each other.
// Channel names are identifiers, at most 63 bytes.
func channelName(schema string) string {
	ch := "ordo_wake_" + schema
	if len(ch) > 63 {
		sum := sha256.Sum256([]byte(schema))
		ch = "ordo_wake_" + hex.EncodeToString(sum[:16])
	}
	return ch
}

// Pool returns the store's connection pool, for components that keep
// their own tables in the same database (package artifact/pgartifact).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema the store's tables live in.
func (s *Store) Schema() string { return s.schema }

// Close closes the pool; Wakeups listeners end with their contexts. It is
// safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.pool.Close()
	})
	return nil
}
