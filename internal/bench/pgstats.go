package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgCounters are PostgreSQL's cumulative counters that say what a run
// cost the server: commits of the run's database (pg_stat_database, read
// and write transactions alike), transaction IDs handed out (write
// transactions, cluster-wide) and the WAL written and synced (pg_stat_wal,
// cluster-wide).
// Also the rows that sequential scans read from the tables of the run's
// schema (pg_stat_user_tables): a plan that scans a table shows there.
// And the updates of the run's instances table, and how many of them were
// HOT (heap-only: no index entry written), which says whether the
// table's fillfactor leaves step commits room on the row's page.
type pgCounters struct {
	commits, xids, walRecords, walBytes, walSyncs, seqRows int64
	instanceUpdates, instanceHOT                           int64
}

const sqlPGCounters = `SELECT d.xact_commit, pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
		w.wal_records, w.wal_bytes::bigint, w.wal_sync,
		(SELECT coalesce(sum(seq_tup_read), 0)::bigint FROM pg_stat_user_tables WHERE schemaname = $1),
		(SELECT coalesce(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'instances'),
		(SELECT coalesce(sum(n_tup_hot_upd), 0)::bigint FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'instances')
	FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()`

// readPGCounters reads the counters on conn, those of tables in schema.
// Reading them costs one commit (of conn's own read), counted by the next
// reading.
func readPGCounters(ctx context.Context, conn *pgx.Conn, schema string) (pgCounters, error) {
	var c pgCounters
	err := conn.QueryRow(ctx, sqlPGCounters, schema).Scan(&c.commits, &c.xids, &c.walRecords, &c.walBytes, &c.walSyncs, &c.seqRows,
		&c.instanceUpdates, &c.instanceHOT)
	if err != nil {
		return c, fmt.Errorf("read pg_stat_database and pg_stat_wal: %w", err)
	}
	return c, nil
}

// perWorkflow sets r's PostgreSQL figures from the counters before and
// after the run, less harness commits the bench's own queries made.
func (c pgCounters) perWorkflow(before pgCounters, harness int64, n int, r *Result) {
	per := func(v int64) float64 { return float64(v) / float64(n) }
	r.CommitsPerWorkflow = per(c.commits - before.commits - harness)
	r.WriteXactsPerWorkflow = per(c.xids - before.xids)
	r.WALRecordsPerWorkflow = per(c.walRecords - before.walRecords)
	r.WALBytesPerWorkflow = per(c.walBytes - before.walBytes)
	r.WALSyncsPerWorkflow = per(c.walSyncs - before.walSyncs)
	r.SeqRowsPerWorkflow = per(c.seqRows - before.seqRows)
	r.InstanceUpdatesPerWorkflow = per(c.instanceUpdates - before.instanceUpdates)
	if upd := c.instanceUpdates - before.instanceUpdates; upd > 0 {
		r.InstanceHOTShare = float64(c.instanceHOT-before.instanceHOT) / float64(upd)
	}
}

// waitGone waits until no session of the run's database runs under
// application name app: a backend flushes its statistics when it exits,
// and only then do the counters hold everything it did.
func waitGone(ctx context.Context, conn *pgx.Conn, app string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, app).Scan(&n); err != nil {
			return fmt.Errorf("wait for the run's sessions to end: %w", err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the run's sessions to end: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// withAppName returns the connection string connString with its
// application_name set to app, as a URL or a key=value string.
func withAppName(connString, app string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("--postgres: %w", err)
		}
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return connString + " application_name=" + app, nil
}

// roundTrips counts what a process sends PostgreSQL: statements outside a
// batch, batches (one round trip each, whatever they hold) and
// preparations, and the statements in all. It is a pgx tracer
// (postgres.Options.Tracer).
type roundTrips struct {
	queries, batches, batchQueries, prepares atomic.Int64
}

func (t *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	t.queries.Add(1)
	return ctx
}

func (t *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (t *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	t.batches.Add(1)
	return ctx
}

func (t *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	t.batchQueries.Add(1)
}

func (t *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (t *roundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	t.prepares.Add(1)
	return ctx
}

func (t *roundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// counts returns the round trips and the statements so far.
func (t *roundTrips) counts() (trips, statements int64) {
	q := t.queries.Load()
	return q + t.batches.Load() + t.prepares.Load(), q + t.batchQueries.Load()
}
