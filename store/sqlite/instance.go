package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

// instanceCols lists the instances columns in the order scanInstance reads.
const instanceCols = `id, workflow, status, params, output, error, custom_status, created_at, updated_at,
	started_at, finished_at, wake_at, lease_owner, lease_token, lease_expires_at, claims, rollback, run, version,
	trace_parent, trace_state, parent_id, parent_step, child_policy, priority`

// scanInstance reads one row of instanceCols.
func scanInstance(sc scanner) (*store.Instance, error) {
	var (
		in                                    store.Instance
		status                                string
		params, output, errJSON               []byte
		createdAt, updatedAt                  int64
		startedAt, finishedAt, wakeAt, leaseX sql.NullInt64
		leaseOwner, leaseToken                sql.NullString
		traceParent, traceState               sql.NullString
		rollback                              []byte
		parentID, parentStep, childPolicy     sql.NullString
	)
	err := sc.Scan(&in.ID, &in.Workflow, &status, &params, &output, &errJSON, &in.CustomStatus,
		&createdAt, &updatedAt, &startedAt, &finishedAt, &wakeAt, &leaseOwner, &leaseToken, &leaseX, &in.Claims, &rollback, &in.Run, &in.Version,
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
	in.CreatedAt = fromMicros(createdAt)
	in.UpdatedAt = fromMicros(updatedAt)
	in.StartedAt = timePtr(startedAt)
	in.FinishedAt = timePtr(finishedAt)
	in.WakeAt = timePtr(wakeAt)
	in.LeaseOwner = leaseOwner.String
	in.LeaseToken = leaseToken.String
	in.LeaseExpiresAt = timePtr(leaseX)
	in.ParentID, in.ParentStep, in.ChildPolicy = parentID.String, parentStep.String, store.ChildPolicy(childPolicy.String)
	if in.Rollback, err = rollbackValue(rollback); err != nil {
		store.MarkUnreadable(&in, fmt.Errorf("rollback column: %w", err))
	}
	if traceParent.Valid {
		in.Trace = &store.TraceContext{Parent: traceParent.String, State: traceState.String}
	}
	return &in, nil
}

var (
	sqlInstanceInsert = `INSERT INTO instances (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims, version, trace_parent, trace_state,
			parent_id, parent_step, child_policy, priority)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING
		RETURNING ` + instanceCols
	// sqlInstanceInsertStatus is sqlInstanceInsert for a commit, which
	// needs the new instance's status only.
	sqlInstanceInsertStatus = strings.Replace(sqlInstanceInsert, `RETURNING `+instanceCols, `RETURNING status`, 1)
	sqlInstanceGet          = `SELECT ` + instanceCols + ` FROM instances WHERE id = ?`
)

// InstanceCreate inserts a queued instance, or a running one leased to
// p.Claim. An existing ID returns store.ErrAlreadyExists together with the
// existing instance.
func (s *Store) InstanceCreate(ctx context.Context, p *store.InstanceCreateParams) (*store.Instance, error) {
	if err := store.ValidateCreate(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance create %q: %w", p.ID, err)
	}
	defer w.rollback()
	in, err := w.create(p, time.Time{})
	if err != nil {
		return in, fmt.Errorf("sqlite: instance create %q: %w", p.ID, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance create %q: %w", p.ID, err)
	}
	return in, nil
}

// create inserts the instance p describes at p.Now (or fallback, or the
// wall clock). An existing ID returns store.ErrAlreadyExists and the
// existing instance.
func (w *writeTx) create(p *store.InstanceCreateParams, fallback time.Time) (*store.Instance, error) {
	var in *store.Instance
	inserted, err := w.insertInstance(p, fallback, sqlInstanceInsert, func(sc scanner) (err error) {
		in, err = scanInstance(sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !inserted {
		if in, err = scanInstance(w.queryRow(sqlInstanceGet, p.ID)); err != nil {
			return nil, err
		}
		return in, store.ErrAlreadyExists
	}
	return in, nil
}

// createStatus is create for a commit: it returns the status of the new
// instance, or store.ErrAlreadyExists and the existing one's status.
func (w *writeTx) createStatus(p *store.InstanceCreateParams, fallback time.Time) (store.InstanceStatus, error) {
	var status string
	inserted, err := w.insertInstance(p, fallback, sqlInstanceInsertStatus, func(sc scanner) error { return sc.Scan(&status) })
	if err != nil {
		return "", err
	}
	if !inserted {
		if err := w.queryRow(sqlStatus, p.ID).Scan(&status); err != nil {
			return "", err
		}
		return store.InstanceStatus(status), store.ErrAlreadyExists
	}
	return store.InstanceStatus(status), nil
}

// insertInstance runs query (sqlInstanceInsert or a variant returning
// less), reads its row with scan and stores p's attributes. It reports
// false, and stores nothing, when the ID exists already.
func (w *writeTx) insertInstance(p *store.InstanceCreateParams, fallback time.Time, query string, scan func(scanner) error) (bool, error) {
	t, args := createArgs(p, fallback)
	err := scan(w.queryRow(query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := w.insertAttributes(p.ID, t, p.Attributes); err != nil {
		return false, fmt.Errorf("attributes: %w", err)
	}
	return true, nil
}

// createArgs are the creation time and the arguments of sqlInstanceInsert
// for p.
func createArgs(p *store.InstanceCreateParams, fallback time.Time) (int64, []any) {
	at := p.Now
	if at.IsZero() {
		at = fallback
	}
	t := micros(now(at))
	var (
		status                       = store.StatusQueued
		started, owner, token, until any
		claims                       int
		version                      string
	)
	if c := p.Claim; c != nil {
		status, started, owner, token, until, claims = store.StatusRunning, t, c.Owner, c.Token, micros(c.LeaseUntil), 1
		version = c.Version
	}
	var traceParent, traceState any
	if tc := p.Trace; tc != nil {
		traceParent, traceState = tc.Parent, tc.State
	}
	var parentID, parentStep, policy any
	if pl := p.Parent; pl != nil {
		parentID, parentStep, policy = pl.ID, pl.Step, string(pl.Policy)
	}
	return t, []any{p.ID, p.Workflow, string(status), rawArg(p.Params), t, t,
		started, owner, token, until, claims, version, traceParent, traceState, parentID, parentStep, policy, p.Priority}
}

// InstanceGet returns one instance or store.ErrNotFound. A row that does
// not decode is returned with Unreadable set.
func (s *Store) InstanceGet(ctx context.Context, id string) (*store.Instance, error) {
	in, err := s.instanceGet(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: instance get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance get %q: %w", id, err)
	}
	store.MarkUnreadable(in, nil)
	return in, nil
}

func (s *Store) instanceGet(ctx context.Context, id string) (*store.Instance, error) {
	rows, err := s.read.QueryContext(ctx, sqlInstanceGet, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, sql.ErrNoRows
	}
	in, err := scanInstance(rows)
	if err != nil {
		return scanUnreadable(rows, err)
	}
	return in, nil
}

// InstanceList returns instances newest first (by creation time, then ID),
// filtered and paged by p (see listQuery).
func (s *Store) InstanceList(ctx context.Context, p *store.InstanceListParams) (*store.InstancePage, error) {
	if p == nil {
		p = &store.InstanceListParams{}
	}
	if err := store.ValidateList(p); err != nil {
		return nil, fmt.Errorf("sqlite: instance list: %w", err)
	}
	limit, _ := store.ListLimit(p.Limit)
	q, args, err := listQuery(p, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance list: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance list: %w", err)
	}
	defer rows.Close()
	page := store.NewInstancePageBuilder(limit) // ends at limit or store.MaxPageBytes
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			if in, err = scanUnreadable(rows, err); err != nil {
				return nil, fmt.Errorf("sqlite: instance list: %w", err)
			}
		}
		store.MarkUnreadable(in, nil)
		if !page.Add(in) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: instance list: %w", err)
	}
	return page.Page(), nil
}

// scanUnreadable reads what it can of a row of instanceCols that
// scanInstance could not (a column holding a value of the wrong type):
// the ID and the creation time that orders the listing, with Unreadable
// saying why. It returns scanErr when even those do not decode.
func scanUnreadable(rows *sql.Rows, scanErr error) (*store.Instance, error) {
	var (
		in        store.Instance
		createdAt int64
		skip      any
		dest      = []any{&in.ID, &skip, &skip, &skip, &skip, &skip, &skip, &createdAt}
	)
	for len(dest) < strings.Count(instanceCols, ",")+1 {
		dest = append(dest, &skip)
	}
	if rows.Scan(dest...) != nil {
		return nil, scanErr
	}
	in.CreatedAt, in.UpdatedAt = fromMicros(createdAt), fromMicros(createdAt)
	in.Unreadable = fmt.Sprintf("stored instance %q does not decode: %v", in.ID, scanErr)
	return &in, nil
}
