package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// The runnable instances, in the order a claim takes them: expired leases
// first (work already started), then due timers, then the queue (higher
// priority first, then oldest first, through instances_queue). Each
// returns the id, whether a lease expired and when the instance became due
// (store.Instance.DueAt). ?2 is NULL or a JSON array
// of workflow names, ?4 NULL or a JSON array of the code versions the
// claimer runs (an instance of version "" runs anywhere; see
// store.ClaimParams.Runs). INDEXED BY pins
// the plans: without statistics SQLite may otherwise walk every waiting
// instance through instances_status on each poll.
const (
	sqlClaimExpired = `SELECT id, lease_expires_at IS NOT NULL, coalesce(lease_expires_at, updated_at) FROM instances INDEXED BY instances_lease
		WHERE status = 'running' AND coalesce(lease_expires_at, 0) <= ?1
		AND (?2 IS NULL OR workflow IN (SELECT value FROM json_each(?2)))
		AND (?4 IS NULL OR version = '' OR version IN (SELECT value FROM json_each(?4)))
		ORDER BY coalesce(lease_expires_at, 0) LIMIT ?3`
	sqlClaimDue = `SELECT id, 0, wake_at FROM instances INDEXED BY instances_wake
		WHERE status = 'waiting' AND wake_at <= ?1
		AND (?2 IS NULL OR workflow IN (SELECT value FROM json_each(?2)))
		AND (?4 IS NULL OR version = '' OR version IN (SELECT value FROM json_each(?4)))
		ORDER BY wake_at LIMIT ?3`
	sqlClaimQueued = `SELECT id, 0, updated_at FROM instances INDEXED BY instances_queue
		WHERE status = 'queued'
		AND (?2 IS NULL OR workflow IN (SELECT value FROM json_each(?2)))
		AND (?4 IS NULL OR version = '' OR version IN (SELECT value FROM json_each(?4)))
		ORDER BY priority DESC, created_at, id LIMIT ?3`
	sqlClaimTake = `UPDATE instances SET status = 'running', lease_owner = ?, lease_token = ?, lease_expires_at = ?,
		claims = claims + 1, started_at = COALESCE(started_at, ?), updated_at = ?, wake_at = NULL,
		version = CASE WHEN version = '' THEN ? ELSE version END
		WHERE id = ?
		RETURNING ` + instanceCols
	sqlHeartbeat = `UPDATE instances SET lease_expires_at = ? WHERE lease_token = ? RETURNING id, status`
	sqlNextWake  = `SELECT wake_at FROM instances INDEXED BY instances_wake WHERE status = 'waiting' AND wake_at IS NOT NULL ORDER BY wake_at LIMIT 1`
)

// InstanceClaim leases up to p.Limit runnable instances to p.Owner and
// marks them running: queued instances, waiting ones whose WakeAt <= p.Now,
// and running ones whose lease expired (or was released). Each gets a new
// LeaseToken and Claims+1. Claims are serialised by the single write
// connection, so two never return the same instance.
func (s *Store) InstanceClaim(ctx context.Context, p *store.ClaimParams) ([]*store.Instance, error) {
	if p == nil || p.Limit < 1 {
		return nil, errors.New("sqlite: instance claim: Limit must be at least 1")
	}
	t := micros(now(p.Now))
	var workflows any
	if len(p.Workflows) > 0 {
		b, err := json.Marshal(p.Workflows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: instance claim: %w", err)
		}
		workflows = string(b)
	}
	var versions any
	if p.Versions != nil {
		b, err := json.Marshal(p.Versions)
		if err != nil {
			return nil, fmt.Errorf("sqlite: instance claim: %w", err)
		}
		versions = string(b)
	}

	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance claim: %w", err)
	}
	defer w.rollback()
	ids := make([]string, 0, p.Limit)
	lost := map[string]bool{}     // taken over from an expired lease
	due := map[string]time.Time{} // when each became runnable
	for _, q := range []string{sqlClaimExpired, sqlClaimDue, sqlClaimQueued} {
		if len(ids) == p.Limit {
			break
		}
		ids, err = w.appendIDs(ids, lost, due, q, t, workflows, p.Limit-len(ids), versions)
		if err != nil {
			return nil, fmt.Errorf("sqlite: instance claim: %w", err)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	until := micros(p.LeaseUntil)
	out := make([]*store.Instance, 0, len(ids))
	for _, id := range ids {
		in, err := scanInstance(w.queryRow(sqlClaimTake, p.Owner, uuid.NewString(), until, t, t, p.Version, id))
		if err != nil {
			return nil, fmt.Errorf("sqlite: instance claim %q: %w", id, err)
		}
		in.LeaseExpired = lost[id]
		if at, ok := due[id]; ok {
			in.DueAt = &at
		}
		out = append(out, in)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance claim: %w", err)
	}
	return out, nil
}

// appendIDs runs a query returning an id, whether its lease expired and
// when it became due; it appends the ids, notes the expired ones in lost
// and the due times in due.
func (w *writeTx) appendIDs(ids []string, lost map[string]bool, due map[string]time.Time, q string, args ...any) ([]string, error) {
	rows, err := w.query(q, args...)
	if err != nil {
		return ids, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      string
			expired bool
			dueAt   sql.NullInt64
		)
		if err := rows.Scan(&id, &expired, &dueAt); err != nil {
			return ids, err
		}
		ids = append(ids, id)
		lost[id] = expired
		if dueAt.Valid {
			due[id] = fromMicros(dueAt.Int64)
		}
	}
	return ids, rows.Err()
}

// InstanceHeartbeat extends the leases p.Tokens still hold to p.LeaseUntil
// and reports, per token, whether it is held and the instance's status.
func (s *Store) InstanceHeartbeat(ctx context.Context, p *store.HeartbeatParams) ([]store.HeartbeatResult, error) {
	if p == nil || len(p.Tokens) == 0 {
		return nil, nil
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance heartbeat: %w", err)
	}
	defer w.rollback()
	until := micros(p.LeaseUntil)
	out := make([]store.HeartbeatResult, len(p.Tokens))
	for i, tok := range p.Tokens {
		out[i].Token = tok
		if tok == "" {
			continue
		}
		var status string
		err := w.queryRow(sqlHeartbeat, until, tok).Scan(&out[i].InstanceID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: instance heartbeat: %w", err)
		}
		out[i].Held = true
		out[i].Status = store.InstanceStatus(status)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance heartbeat: %w", err)
	}
	return out, nil
}

// NextWakeAt returns the earliest WakeAt among waiting instances, or false
// when none waits on a timer.
func (s *Store) NextWakeAt(ctx context.Context) (time.Time, bool, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, sqlNextWake).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: next wake: %w", err)
	}
	return fromMicros(v), true, nil
}
