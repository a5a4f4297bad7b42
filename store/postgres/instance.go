package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// instanceCols lists the instances columns in the order scanInstance reads.
const instanceCols = `id, workflow, status, params, output, error, custom_status, created_at, updated_at,
	started_at, finished_at, wake_at, lease_owner, lease_token, lease_expires_at, claims, rollback, run, version,
	trace_parent, trace_state, parent_id, parent_step, child_policy, priority`

// prefixed returns instanceCols with every column qualified by alias.
func prefixed(alias string) string {
	cols := strings.Split(instanceCols, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// scanInstance reads one row of instanceCols.
func scanInstance(row pgx.Row) (*store.Instance, error) {
	var (
		in                                    store.Instance
		status                                string
		params, output                        []byte
		errJSON, leaseOwner, leaseToken       *string
		rollback, traceParent, traceState     *string
		startedAt, finishedAt, wakeAt, leaseX *time.Time
		parentID, parentStep, childPolicy     *string
	)
	err := row.Scan(&in.ID, &in.Workflow, &status, &params, &output, &errJSON, &in.CustomStatus,
		&in.CreatedAt, &in.UpdatedAt, &startedAt, &finishedAt, &wakeAt, &leaseOwner, &leaseToken, &leaseX, &in.Claims, &rollback, &in.Run, &in.Version,
		&traceParent, &traceState, &parentID, &parentStep, &childPolicy, &in.Priority)
	if err != nil {
		return nil, err
	}
	in.Status = store.InstanceStatus(status)
	in.Params = rawValue(params)
	in.Output = rawValue(output)
	if in.Error, err = errorValue(errJSON); err != nil {
		store.MarkUnreadable(&in, fmt.Errorf("error column: %w", err))
	}
	in.CreatedAt = in.CreatedAt.UTC()
	in.UpdatedAt = in.UpdatedAt.UTC()
	in.StartedAt = utc(startedAt)
	in.FinishedAt = utc(finishedAt)
	in.WakeAt = utc(wakeAt)
	if leaseOwner != nil {
		in.LeaseOwner = *leaseOwner
	}
	if leaseToken != nil {
		in.LeaseToken = *leaseToken
	}
	in.LeaseExpiresAt = utc(leaseX)
	if parentID != nil && parentStep != nil && childPolicy != nil {
		in.ParentID, in.ParentStep, in.ChildPolicy = *parentID, *parentStep, store.ChildPolicy(*childPolicy)
	}
	if in.Rollback, err = rollbackValue(rollback); err != nil {
		store.MarkUnreadable(&in, fmt.Errorf("rollback column: %w", err))
	}
	if traceParent != nil {
		in.Trace = &store.TraceContext{Parent: *traceParent}
		if traceState != nil {
			in.Trace.State = *traceState
		}
	}
	return &in, nil
}

const (
	sqlInstanceInsert = `INSERT INTO instances (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims, version, trace_parent, trace_state, priority)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO NOTHING
		RETURNING ` + instanceCols
	// sqlChildInsert is sqlInstanceInsert for a child instance
	// (store.InstanceCreateParams.Parent).
	sqlChildInsert = `INSERT INTO instances (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims, version, trace_parent, trace_state, priority,
			parent_id, parent_step, child_policy)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (id) DO NOTHING
		RETURNING ` + instanceCols
	sqlInstanceGet = `SELECT ` + instanceCols + ` FROM instances WHERE id = $1`
	sqlNotify      = `SELECT pg_notify($1, '')`
)

// createRow is one instance to insert, with its columns encoded.
type createRow struct {
	id, workflow, status string
	params               []byte
	at                   time.Time
	started, until       *time.Time
	owner, token         *string
	claims               int32
	version              string
	attrs                []store.Attribute
	// traceParent and traceState are p.Trace's, NULL without one.
	traceParent, traceState *string
	priority                int32
}

// newCreateRow encodes p at p.Now, or fallback, or the wall clock.
func newCreateRow(p *store.InstanceCreateParams, fallback time.Time) createRow {
	at := p.Now
	if at.IsZero() {
		at = fallback
	}
	r := createRow{id: p.ID, workflow: p.Workflow, status: string(store.StatusQueued), params: rawArg(p.Params), at: ts(now(at)),
		attrs: p.Attributes, priority: int32(p.Priority)} //nolint:gosec // ValidatePriority bounds it to -100..100
	if c := p.Claim; c != nil {
		until := ts(c.LeaseUntil)
		owner, token := c.Owner, c.Token
		r.status, r.started, r.owner, r.token, r.until, r.claims = string(store.StatusRunning), &r.at, &owner, &token, &until, 1
		r.version = c.Version
	}
	if tc := p.Trace; tc != nil {
		parent, state := tc.Parent, tc.State
		r.traceParent, r.traceState = &parent, &state
	}
	return r
}

// InstanceCreate inserts a queued instance, or a running one leased to
// p.Claim. An existing ID returns store.ErrAlreadyExists together with the
// existing instance. Creating a queued instance notifies the idle workers
// of every process (store.Waker).
func (s *Store) InstanceCreate(ctx context.Context, p *store.InstanceCreateParams) (*store.Instance, error) {
	if err := store.ValidateCreate(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if len(p.Attributes) > 0 {
		return s.createWithAttributes(ctx, p)
	}
	r := newCreateRow(p, time.Time{})
	b := &pgx.Batch{}
	var (
		in  *store.Instance
		err error
	)
	insert, args := sqlInstanceInsert, []any{r.id, r.workflow, r.status, r.params, r.at, r.started, r.owner, r.token, r.until, r.claims, r.version,
		r.traceParent, r.traceState, r.priority}
	if pl := p.Parent; pl != nil {
		insert, args = sqlChildInsert, append(args, pl.ID, pl.Step, string(pl.Policy))
	}
	b.Queue(insert, args...).
		QueryRow(func(row pgx.Row) error {
			in, err = scanInstance(row)
			if noRows(err) {
				return nil
			}
			return err
		})
	if p.Claim == nil {
		b.Queue(sqlNotify, s.channel)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: instance create %q: %w", p.ID, err)
	}
	if in != nil {
		return in, nil
	}
	existing, err := scanInstance(s.pool.QueryRow(ctx, sqlInstanceGet, p.ID))
	if err != nil {
		return nil, fmt.Errorf("postgres: instance create %q: %w", p.ID, err)
	}
	return existing, fmt.Errorf("postgres: instance create %q: %w", p.ID, store.ErrAlreadyExists)
}

// InstanceGet returns one instance or store.ErrNotFound.
func (s *Store) InstanceGet(ctx context.Context, id string) (*store.Instance, error) {
	in, err := scanInstance(s.pool.QueryRow(ctx, sqlInstanceGet, id))
	if noRows(err) {
		return nil, fmt.Errorf("postgres: instance get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: instance get %q: %w", id, err)
	}
	store.MarkUnreadable(in, nil)
	return in, nil
}

// InstanceList returns instances newest first (by creation time, then ID),
// filtered and paged by p (see listQuery).
func (s *Store) InstanceList(ctx context.Context, p *store.InstanceListParams) (*store.InstancePage, error) {
	if p == nil {
		p = &store.InstanceListParams{}
	}
	if err := store.ValidateList(p); err != nil {
		return nil, fmt.Errorf("postgres: instance list: %w", err)
	}
	limit, _ := store.ListLimit(p.Limit)
	q, args, err := listQuery(p, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance list: %w", err)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance list: %w", err)
	}
	defer rows.Close()
	page := store.NewInstancePageBuilder(limit) // ends at limit or store.MaxPageBytes
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: instance list: %w", err)
		}
		store.MarkUnreadable(in, nil)
		if !page.Add(in) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: instance list: %w", err)
	}
	return page.Page(), nil
}
