package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A claim passes over rows another transaction holds a lock on (FOR
// UPDATE SKIP LOCKED), and most lock holders leave the row runnable and
// say nothing: an operator action that is refused (a child's policy
// applied twice), a heartbeat or a late commit of a cancelled instance's
// old lease, an event for a queued instance. A claim that came back short
// while such a row was locked used to leave it until the next poll
// (Config.PollInterval), since nothing else wakes the engine. So a short
// claim looks for a runnable row it passed over, waits for that row's
// lock (blocking, not polling: the holder's transaction is short) and
// claims again.

// sqlClaimSkipped finds a row a claim could pick but did not: one locked
// by another transaction while the claim ran, or runnable since. Its
// conditions are those of sqlClaim's branches, and must stay so. $1 now,
// $2 workflow names (NULL: any), $3 the code versions (NULL: any).
const sqlClaimSkipped = `(SELECT id FROM instances
		WHERE status = 'running' AND coalesce(lease_expires_at, '-infinity'::timestamptz) <= $1
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($3::text[] IS NULL OR version = '' OR version = ANY($3::text[]))
		ORDER BY coalesce(lease_expires_at, '-infinity'::timestamptz) LIMIT 1)
	UNION ALL (SELECT id FROM instances
		WHERE status = 'waiting' AND wake_at <= $1
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($3::text[] IS NULL OR version = '' OR version = ANY($3::text[]))
		ORDER BY wake_at LIMIT 1)
	UNION ALL (SELECT id FROM instances
		WHERE status = 'queued'
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($3::text[] IS NULL OR version = '' OR version = ANY($3::text[]))
		ORDER BY priority DESC, created_at, id LIMIT 1)
	LIMIT 1`

// sqlClaimWaitRow waits for the lock on one row and lets it go at once
// (the transaction ends): afterwards a claim no longer passes over it.
// One row only, so the waiter holds no lock anyone could wait for.
const sqlClaimWaitRow = `SELECT 1 FROM instances WHERE id = $1 FOR UPDATE`

// claimLockTimeout bounds how long a short claim waits for the lock on a
// row it passed over; past it the claim returns what it has, and the row
// waits for the next wake-up or poll.
const claimLockTimeout = "2s"

// claimRounds is how many times a short claim waits for a skipped row
// and claims again.
const claimRounds = 2

// waitRow waits until no other transaction holds a lock on the row id,
// up to claimLockTimeout. It reports whether it got the lock.
func (s *Store) waitRow(ctx context.Context, id string) (bool, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL lock_timeout = '` + claimLockTimeout + `'`)
		b.Queue(sqlClaimWaitRow, id)
		return tx.SendBatch(ctx, b).Close()
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return false, nil
	}
	return err == nil, err
}
