package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

const (
	sqlControlStatus = `SELECT status FROM instances WHERE id = ?`
	sqlPause         = `UPDATE instances SET status = 'paused', updated_at = ? WHERE id = ? RETURNING ` + instanceCols
	sqlResume        = `UPDATE instances SET status = 'queued', updated_at = ?, wake_at = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = ? RETURNING ` + instanceCols
	sqlTerminate = `UPDATE instances SET status = 'terminated', updated_at = ?, finished_at = ?, wake_at = NULL,
		rollback = NULL
		WHERE id = ? RETURNING ` + instanceCols
	// Cancel and the compensation actions: queued with a rollback (the
	// lease is kept: see store.ActionCancel).
	sqlRollbackState = `SELECT status, error, rollback IS NOT NULL FROM instances WHERE id = ?`
	sqlRollback      = `UPDATE instances SET status = 'queued', updated_at = ?, wake_at = NULL, finished_at = NULL,
		rollback = ? WHERE id = ? RETURNING ` + instanceCols
	sqlCompStep   = `SELECT ` + stepCols + ` FROM steps WHERE instance_id = ? AND key = ?`
	sqlCompUpdate = `UPDATE steps SET compensation_status = ?, compensation_next_at = ?, compensation_base = ?,
		compensation_note = ? WHERE instance_id = ? AND key = ?`
	// Restart (store.PlanRestart decides what): ?1 instance.
	sqlRestartInstance = `SELECT ` + instanceCols + ` FROM instances WHERE id = ?`
	sqlRunStarted      = `SELECT ended_at FROM runs WHERE instance_id = ? ORDER BY run DESC LIMIT 1`
	sqlRunInsert       = `INSERT INTO runs (instance_id, run, ended_at, record) VALUES (?, ?, ?, ?)`
	sqlUnconsumeStep   = `UPDATE events SET consumed_by = NULL WHERE instance_id = ? AND consumed_by = ?`
	sqlDeleteAttempts  = `DELETE FROM attempts WHERE instance_id = ? AND step_key = ?`
	sqlDeleteStep      = `DELETE FROM steps WHERE instance_id = ? AND key = ?`
	sqlResetComp       = `UPDATE steps SET compensation_status = '', compensation_error = NULL,
		compensation_attempts = 0, compensation_next_at = NULL, compensation_base = 0
		WHERE instance_id = ? AND key = ?`
	sqlRestart = `UPDATE instances SET status = 'queued', updated_at = ?2, output = NULL, error = NULL,
		wake_at = NULL, custom_status = ?3, finished_at = NULL, rollback = NULL,
		lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
		params = CASE WHEN ?4 THEN ?5 ELSE params END, run = ?6,
		version = CASE WHEN ?7 THEN version ELSE '' END
		WHERE id = ?1 RETURNING ` + instanceCols

	sqlRuns = `SELECT record FROM runs WHERE instance_id = ? ORDER BY run`
)

// InstanceControl applies an operator action atomically: pause (queued,
// running, waiting → paused; a running instance keeps its lease so its
// worker stops at the next step boundary), resume (paused → queued, lease
// cleared), terminate (any non-terminal status → terminated, lease kept so
// the worker learns it from its heartbeat) and restart (any status →
// queued; see store.ActionRestart). A terminate or cancel applies the
// children's policies in its transaction (store.CloseChildren). A
// forbidden action returns store.ErrInvalidTransition; an unknown
// instance, store.ErrNotFound.
func (s *Store) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	if p == nil {
		return nil, errors.New("sqlite: instance control: nil params")
	}
	audit, err := store.PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q: %w", p.InstanceID, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q: %w", p.InstanceID, err)
	}
	defer w.rollback()
	in, err := w.control(p)
	if err == nil {
		err = w.insertAction(audit)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: instance control %q %s: %w", p.InstanceID, p.Action, err)
	}
	return in, nil
}

func (w *writeTx) control(p *store.ControlParams) (*store.Instance, error) {
	var s string
	err := w.queryRow(sqlControlStatus, p.InstanceID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	status := store.InstanceStatus(s)
	if err := store.CheckAction(p, status); err != nil {
		return nil, err
	}
	t := micros(now(p.Now))
	switch p.Action {
	case store.ActionPause:
		return scanInstance(w.queryRow(sqlPause, t, p.InstanceID))
	case store.ActionResume:
		return scanInstance(w.queryRow(sqlResume, t, p.InstanceID))
	case store.ActionTerminate:
		in, err := scanInstance(w.queryRow(sqlTerminate, t, t, p.InstanceID))
		if err != nil {
			return nil, err
		}
		hooks, err := w.webhooks()
		if err != nil {
			return nil, err
		}
		if err := w.notify(p.Notify, t); err != nil {
			return nil, err
		}
		if err := w.report(hooks, in.ID, in.Workflow, []store.WebhookChange{store.TerminatedChange(in.CustomStatus)}, fromMicros(t)); err != nil {
			return nil, err
		}
		return in, w.closeChildren(p)
	case store.ActionCancel, store.ActionCompensationRetry, store.ActionCompensationDone, store.ActionCompensationSkip:
		in, err := w.setRollback(p, t)
		if err != nil || p.Action != store.ActionCancel {
			return in, err
		}
		return in, w.closeChildren(p)
	}
	return w.restart(p, t)
}

// restart applies store.PlanRestart: the ended run is recorded, the steps
// it re-runs leave the journal with their attempts (their events become
// unconsumed), and the instance is queued for the next run.
func (w *writeTx) restart(p *store.ControlParams, t int64) (*store.Instance, error) {
	in, err := scanInstance(w.queryRow(sqlRestartInstance, p.InstanceID))
	if err != nil {
		return nil, err
	}
	j, err := loadJournal(w.ctx, w.tx, p.InstanceID)
	if err != nil {
		return nil, err
	}
	var started sql.NullInt64
	if err := w.queryRow(sqlRunStarted, p.InstanceID).Scan(&started); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	q := *p
	q.Now = fromMicros(t)
	var from time.Time
	if started.Valid {
		from = fromMicros(started.Int64)
	}
	plan, err := store.PlanRestart(in, j.Steps, &q, from)
	if err != nil {
		return nil, err
	}
	record, err := store.EncodeRun(plan.Run)
	if err != nil {
		return nil, err
	}
	if _, err := w.exec(sqlRunInsert, p.InstanceID, plan.Run.Number, t, record); err != nil {
		return nil, err
	}
	for _, key := range plan.Archive {
		for _, q := range []string{sqlUnconsumeStep, sqlDeleteAttempts, sqlDeleteStep} {
			if _, err := w.exec(q, p.InstanceID, key); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range plan.ResetCompensation {
		if _, err := w.exec(sqlResetComp, p.InstanceID, key); err != nil {
			return nil, err
		}
	}
	return scanInstance(w.queryRow(sqlRestart, p.InstanceID, t, plan.CustomStatus,
		plan.Params != nil, rawArg(plan.Params), plan.Run.Number+1, plan.KeepVersion))
}

// InstanceRuns returns the ended runs of an instance, oldest first.
func (s *Store) InstanceRuns(ctx context.Context, id string) ([]*store.Run, error) {
	runs, err := s.runs(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance runs %q: %w", id, err)
	}
	return runs, nil
}

func (s *Store) runs(ctx context.Context, id string) ([]*store.Run, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var status string
	err = tx.QueryRowContext(ctx, sqlControlStatus, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, sqlRuns, id)
	if err != nil {
		return nil, err
	}
	runs := []*store.Run{}
	for rows.Next() {
		var record []byte
		if err := rows.Scan(&record); err != nil {
			rows.Close()
			return nil, err
		}
		r, err := store.DecodeRun(id, record)
		if err != nil {
			rows.Close()
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, closeRows(rows)
}

// setRollback applies a cancel or compensation action (store.CancelRollback,
// store.CompensationAction).
func (w *writeTx) setRollback(p *store.ControlParams, t int64) (*store.Instance, error) {
	var (
		st      string
		errJSON []byte
		pending bool
	)
	if err := w.queryRow(sqlRollbackState, p.InstanceID).Scan(&st, &errJSON, &pending); err != nil {
		return nil, err
	}
	status := store.InstanceStatus(st)
	var rb *store.Rollback
	if p.Action == store.ActionCancel {
		var err error
		if rb, err = store.CancelRollback(p, status, pending); err != nil {
			return nil, err
		}
	} else {
		instErr, err := errorValue(errJSON)
		if err != nil {
			return nil, err
		}
		step, err := scanStep(w.queryRow(sqlCompStep, p.InstanceID, p.StepKey))
		if errors.Is(err, sql.ErrNoRows) {
			step, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		next, r, err := store.CompensationAction(p, status, instErr, step)
		if err != nil {
			return nil, err
		}
		rb = r
		if _, err := w.exec(sqlCompUpdate, string(next.CompensationStatus), nullMicros(next.CompensationNextAt),
			next.CompensationBase, next.CompensationNote, p.InstanceID, p.StepKey); err != nil {
			return nil, err
		}
	}
	arg, err := rollbackArg(rb)
	if err != nil {
		return nil, err
	}
	return scanInstance(w.queryRow(sqlRollback, t, arg, p.InstanceID))
}
