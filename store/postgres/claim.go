package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// sqlClaim leases the runnable instances in one statement, in the order a
// claim takes them: expired (or released) leases first (work already
// started), then due timers, then the queue (higher priority first, then
// oldest first: the order of the index instances_queue). Each branch
// locks its rows with FOR UPDATE SKIP LOCKED, so concurrent claimers in any
// process pass over each other's rows instead of waiting or taking them
// twice; a row changed since the statement's snapshot is re-checked
// against its branch's condition before it is locked. The branches are
// CTEs, which PostgreSQL reads lazily: the LIMIT of picked stops before a
// later branch is scanned (and its rows locked) when an earlier one filled
// it. Each branch also says when its instances became due
// (store.Instance.DueAt).
//
// $1 now, $2 workflow names (NULL: any), $3 limit, $4 owner, $5 lease end,
// $6 the claim's ID: every token the claim hands out starts with it, so
// the statements after it in the same transaction find the claimed rows;
// $7 the code versions the claimer runs (NULL: any; an instance of version
// ” runs anywhere, see store.ClaimParams.Runs), $8 the version recorded on
// the claimed instances that have none.
const sqlClaim = `WITH expired AS (
		SELECT id, lease_expires_at IS NOT NULL AS lost, coalesce(lease_expires_at, updated_at) AS due_at FROM instances
		WHERE status = 'running' AND coalesce(lease_expires_at, '-infinity'::timestamptz) <= $1
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($7::text[] IS NULL OR version = '' OR version = ANY($7::text[]))
		ORDER BY coalesce(lease_expires_at, '-infinity'::timestamptz) LIMIT $3
		FOR UPDATE SKIP LOCKED
	), due AS (
		SELECT id, false AS lost, wake_at AS due_at FROM instances
		WHERE status = 'waiting' AND wake_at <= $1
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($7::text[] IS NULL OR version = '' OR version = ANY($7::text[]))
		ORDER BY wake_at LIMIT $3
		FOR UPDATE SKIP LOCKED
	), queued AS (
		SELECT id, false AS lost, updated_at AS due_at FROM instances
		WHERE status = 'queued'
		AND ($2::text[] IS NULL OR workflow = ANY($2::text[]))
		AND ($7::text[] IS NULL OR version = '' OR version = ANY($7::text[]))
		ORDER BY priority DESC, created_at, id LIMIT $3
		FOR UPDATE SKIP LOCKED
	), picked AS (
		(SELECT id, lost, due_at FROM expired UNION ALL SELECT id, lost, due_at FROM due UNION ALL SELECT id, lost, due_at FROM queued) LIMIT $3
	)
UPDATE instances i SET status = 'running', lease_owner = $4, lease_token = $6 || ':' || gen_random_uuid()::text,
	lease_expires_at = $5, claims = i.claims + 1, started_at = coalesce(i.started_at, $1),
	updated_at = $1, wake_at = NULL, version = CASE WHEN i.version = '' THEN $8 ELSE i.version END
FROM picked WHERE i.id = picked.id
RETURNING ` + "%s, picked.lost, picked.due_at"

// sqlHeartbeat extends the leases the tokens hold. Rows are locked in ID
// order, the order Commit locks them in, so the two never deadlock: held
// finds each token's instance (by the lease token index), locked locks
// them one by one in ID order by primary key, checking that the token
// still holds it. Both are per-row LATERAL lookups, and the UPDATE's join
// is estimated as selective, so the plan PostgreSQL caches stays index
// lookups at any table size (see sqlCommitLock).
const sqlHeartbeat = `WITH held AS MATERIALIZED (
		SELECT h.id, t.token FROM unnest($2::text[]) AS t(token)
		CROSS JOIN LATERAL (SELECT id FROM instances WHERE lease_token = t.token OFFSET 0) h
		ORDER BY h.id
	), locked AS MATERIALIZED (
		SELECT l.id FROM held
		JOIN LATERAL (SELECT id, lease_token FROM instances
			WHERE id = held.id AND lease_token = held.token FOR NO KEY UPDATE) l ON l.lease_token = held.token
	)
	UPDATE instances i SET lease_expires_at = $1
	FROM locked l WHERE i.id = l.id
	RETURNING i.lease_token, i.id, i.status`

const sqlNextWake = `SELECT wake_at FROM instances WHERE status = 'waiting' AND wake_at IS NOT NULL ORDER BY wake_at LIMIT 1`

var sqlClaimReturning = fmt.Sprintf(sqlClaim, prefixed("i"))

// InstanceClaim leases up to p.Limit runnable instances to p.Owner and
// marks them running: queued instances, waiting ones whose WakeAt <= p.Now,
// and running ones whose lease expired (or was released). Each gets a new
// LeaseToken and Claims+1. Concurrent claims, from any process, never
// return the same instance.
//
// The journals of the instances claimed again (Claims > 1) are read in
// the same round trip and kept for the JournalLoad that follows each claim
// (see prefetch).
//
// A claim that comes back short while a runnable row was locked by
// another transaction waits for that lock and claims again (see
// sqlClaimSkipped), so a row is never left behind until the next poll
// because it was locked for a moment.
func (s *Store) InstanceClaim(ctx context.Context, p *store.ClaimParams) ([]*store.Instance, error) {
	if p == nil || p.Limit < 1 {
		return nil, errors.New("postgres: instance claim: Limit must be at least 1")
	}
	var workflows []string // nil encodes as NULL: any workflow
	if len(p.Workflows) > 0 {
		workflows = p.Workflows
	}
	var out []*store.Instance
	for round := 0; ; round++ {
		q := *p
		q.Limit = p.Limit - len(out)
		got, skipped, err := s.claim(ctx, &q, workflows)
		if err != nil && len(out) == 0 {
			return nil, err
		}
		if err != nil {
			return out, nil //nolint:nilerr // leased already: the engine must know them; the next claim retries
		}
		out = append(out, got...)
		if len(out) == p.Limit || skipped == "" || round == claimRounds {
			return out, nil
		}
		if ok, err := s.waitRow(ctx, skipped); err != nil || !ok {
			// The rows claimed so far are leased: return them, and leave
			// the locked row to the next claim.
			return out, nil //nolint:nilerr // the claim succeeded; only the extra wait failed
		}
	}
}

// claim runs one claim of up to p.Limit rows; skipped is a runnable row
// it passed over ("": none).
func (s *Store) claim(ctx context.Context, p *store.ClaimParams, workflows []string) ([]*store.Instance, string, error) {
	claimID := uuid.NewString()
	var out []*store.Instance
	journals := map[string]*store.Journal{}
	b := &pgx.Batch{}
	t := ts(now(p.Now))
	b.Queue(sqlClaimReturning, t, workflows, p.Limit, p.Owner, ts(p.LeaseUntil), claimID,
		p.Versions, p.Version).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					lost  bool
					dueAt *time.Time
				)
				in, err := scanInstance(withExtra{rows, []any{&lost, &dueAt}})
				if err != nil {
					return err
				}
				in.LeaseExpired = lost
				if dueAt != nil {
					at := dueAt.UTC()
					in.DueAt = &at
				}
				out = append(out, in)
				if in.Claims > 1 {
					journals[in.ID] = &store.Journal{}
				}
			}
			return rows.Err()
		})
	queueJournals(b, journals, claimID+":", claimID+";")
	var skipped string
	b.Queue(sqlClaimSkipped, t, workflows, p.Versions).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&skipped); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, "", fmt.Errorf("postgres: instance claim: %w", err)
	}
	s.prefetch.put(journals)
	return out, skipped, nil
}

// InstanceHeartbeat extends the leases p.Tokens still hold to p.LeaseUntil
// and reports, per token, whether it is held and the instance's status.
func (s *Store) InstanceHeartbeat(ctx context.Context, p *store.HeartbeatParams) ([]store.HeartbeatResult, error) {
	if p == nil || len(p.Tokens) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, sqlHeartbeat, ts(p.LeaseUntil), p.Tokens)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance heartbeat: %w", err)
	}
	defer rows.Close()
	type held struct {
		id     string
		status store.InstanceStatus
	}
	byToken := make(map[string]held, len(p.Tokens))
	for rows.Next() {
		var tok, id, status string
		if err := rows.Scan(&tok, &id, &status); err != nil {
			return nil, fmt.Errorf("postgres: instance heartbeat: %w", err)
		}
		byToken[tok] = held{id, store.InstanceStatus(status)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: instance heartbeat: %w", err)
	}
	out := make([]store.HeartbeatResult, len(p.Tokens))
	for i, tok := range p.Tokens {
		out[i].Token = tok
		if h, ok := byToken[tok]; ok && tok != "" {
			out[i].InstanceID, out[i].Held, out[i].Status = h.id, true, h.status
		}
	}
	return out, nil
}

// NextWakeAt returns the earliest WakeAt among waiting instances, or false
// when none waits on a timer.
func (s *Store) NextWakeAt(ctx context.Context) (time.Time, bool, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, sqlNextWake).Scan(&t)
	if noRows(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("postgres: next wake: %w", err)
	}
	return t.UTC(), true, nil
}

// withExtra scans a row's leading columns into Scan's destinations and its
// trailing ones into extra.
type withExtra struct {
	row   pgx.Row
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }
