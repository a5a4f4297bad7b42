package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

const (
	sqlFence      = `SELECT status FROM instances WHERE id = ? AND lease_token = ?`
	sqlStatus     = `SELECT status FROM instances WHERE id = ?`
	sqlStepUpsert = `INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, output, error,
			attempts, next_attempt_at, wake_at, custom_status, has_compensation, compensation_data,
			compensation_status, compensation_error, compensation_attempts, compensation_next_at,
			started_at, finished_at, await, first_started_at, first_finished_at, first_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, key) DO UPDATE SET
			name = excluded.name, seq = excluded.seq, ordinal = excluded.ordinal, kind = excluded.kind,
			status = excluded.status, output = excluded.output, error = excluded.error,
			attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
			wake_at = excluded.wake_at, custom_status = excluded.custom_status,
			has_compensation = excluded.has_compensation, compensation_data = excluded.compensation_data,
			compensation_status = excluded.compensation_status, compensation_error = excluded.compensation_error,
			compensation_attempts = excluded.compensation_attempts,
			compensation_next_at = excluded.compensation_next_at,
			started_at = excluded.started_at, finished_at = excluded.finished_at, await = excluded.await,
			first_started_at = coalesce(steps.first_started_at, excluded.first_started_at),
			first_finished_at = CASE WHEN steps.first_started_at IS NULL THEN excluded.first_finished_at ELSE steps.first_finished_at END,
			first_error = CASE WHEN steps.first_started_at IS NULL THEN excluded.first_error ELSE steps.first_error END`
	// stepWidth is the number of columns sqlStepUpsert writes.
	stepWidth        = 25
	sqlAttemptInsert = `INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, step_key, compensation, number) DO NOTHING`
	sqlEventConsume = `UPDATE events SET consumed_by = ? WHERE id = ? AND instance_id = ?`
	sqlAwaitedEvent = `SELECT EXISTS (SELECT 1 FROM events WHERE instance_id = ? AND consumed_by IS NULL
		AND type IN (SELECT value FROM json_each(?)))`
)

// sqlJournalTouch is the fence and the instance write of an update that
// carries only journal records, in one statement: it stamps updated_at
// (and releases the lease when asked) only if the lease token matches,
// and returns the status, which it does not change.
var sqlJournalTouch = [2]string{
	`UPDATE instances SET updated_at = ? WHERE id = ? AND lease_token = ? RETURNING status`,
	`UPDATE instances SET updated_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
		WHERE id = ? AND lease_token = ? RETURNING status`,
}

// instanceUpdate flags select which columns an Update's instance write sets.
const (
	setCustomStatus = 1 << iota
	setState
	setRelease
)

// sqlInstanceUpdate holds the instance UPDATE for each combination of
// flags, so a commit only touches (and re-indexes) the columns it changes.
var sqlInstanceUpdate = func() (qs [8]string) {
	for mask := range qs {
		cols := []string{"updated_at = :now"}
		if mask&setCustomStatus != 0 {
			cols = append(cols, "custom_status = :custom")
		}
		if mask&setState != 0 {
			cols = append(cols, "status = :status", "output = :output", "error = :error",
				"wake_at = :wake", "finished_at = :finished",
				"rollback = CASE WHEN :status IN ('complete', 'errored', 'cancelled') THEN NULL ELSE rollback END")
		}
		if mask&setRelease != 0 {
			cols = append(cols, "lease_owner = NULL", "lease_token = NULL", "lease_expires_at = NULL")
		}
		qs[mask] = "UPDATE instances SET " + strings.Join(cols, ", ") + " WHERE id = :id"
	}
	return qs
}()

// Commit applies updates in one transaction. Each update is fenced by its
// lease token: one whose token does not match is skipped and reported as
// store.ErrLeaseLost, the others apply. The returned error means nothing
// was applied.
func (s *Store) Commit(ctx context.Context, updates []*store.Update) ([]store.UpdateResult, error) {
	if err := store.ValidateUpdates(updates); err != nil {
		return nil, fmt.Errorf("sqlite: commit: %w", err)
	}
	if len(updates) == 0 {
		return []store.UpdateResult{}, nil
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: commit: %w", err)
	}
	defer w.rollback()
	// An instance's parallel steps that finished together are fenced and
	// written once, not once per step.
	merged, carrier := store.CoalesceUpdates(updates)
	applied := make([]store.UpdateResult, len(merged))
	// The step results of many instances first, a few statements for all.
	written, err := w.writeJournalRows(merged, applied)
	if err != nil {
		return nil, fmt.Errorf("sqlite: commit: journal of %d instances: %w", len(merged), err)
	}
	for i, u := range merged {
		if written != nil && written[i] {
			continue
		}
		if applied[i], err = w.apply(u); err != nil {
			return nil, fmt.Errorf("sqlite: commit: instance %q: %w", u.InstanceID, err)
		}
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: commit: %w", err)
	}
	results := make([]store.UpdateResult, len(updates))
	for i := range updates {
		results[i] = applied[carrier[i]]
	}
	return results, nil
}

// apply writes one update inside the commit's transaction.
func (w *writeTx) apply(u *store.Update) (store.UpdateResult, error) {
	if u.Create != nil {
		status, err := w.createStatus(u.Create, u.Now)
		if errors.Is(err, store.ErrAlreadyExists) {
			return store.UpdateResult{Err: store.ErrAlreadyExists, Status: status}, nil
		}
		if err != nil {
			return store.UpdateResult{}, fmt.Errorf("create: %w", err)
		}
		if u.Create.Claim == nil || store.CreateOnly(u) {
			return store.UpdateResult{Status: status}, nil
		}
	}
	t := micros(now(u.Now))
	// An update of journal records only (a step's result) is fenced and
	// stamped in one statement; nothing of it is reported (reportUpdate).
	journalOnly := u.State == nil && u.CustomStatus == nil
	fence, args := sqlFence, []any{u.InstanceID, u.LeaseToken}
	if journalOnly {
		release := 0
		if u.Release {
			release = 1
		}
		fence, args = sqlJournalTouch[release], []any{t, u.InstanceID, u.LeaseToken}
	}
	var status string
	err := w.queryRow(fence, args...).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return w.leaseLost(u.InstanceID)
	}
	if err != nil {
		return store.UpdateResult{}, err
	}
	if err := w.writeJournal(u); err != nil {
		return store.UpdateResult{}, err
	}
	if journalOnly {
		return store.UpdateResult{Status: store.InstanceStatus(status)}, nil
	}

	after, err := w.reportUpdate(u, store.InstanceStatus(status), fromMicros(t))
	if err != nil {
		return store.UpdateResult{}, err
	}
	var mask int
	args = []any{sql.Named("now", t), sql.Named("id", u.InstanceID)}
	if u.CustomStatus != nil {
		mask |= setCustomStatus
		args = append(args, sql.Named("custom", *u.CustomStatus))
	}
	// An operator may have paused or terminated the instance since the
	// claim: its steps are kept above, its state change dropped.
	if u.State != nil && status == string(store.StatusRunning) {
		stateArgs, err := w.stateArgs(u, t)
		if err != nil {
			return store.UpdateResult{}, err
		}
		mask |= setState
		args = append(args, stateArgs...)
		status = string(u.State.Status)
	}
	if u.Release {
		mask |= setRelease
	}
	if _, err := w.exec(sqlInstanceUpdate[mask], args...); err != nil {
		return store.UpdateResult{}, err
	}
	if mask&setState != 0 && u.State.Status.Terminal() {
		if err := w.notify(u.Notify, t); err != nil {
			return store.UpdateResult{}, err
		}
	}
	if after != nil {
		if err := after(); err != nil {
			return store.UpdateResult{}, err
		}
	}
	return store.UpdateResult{Status: store.InstanceStatus(status)}, nil
}

// leaseLost is the result of an update whose lease token the instance no
// longer holds: ErrLeaseLost with the status it has now, if any.
func (w *writeTx) leaseLost(id string) (store.UpdateResult, error) {
	var status string
	err := w.queryRow(sqlStatus, id).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return store.UpdateResult{}, err
	}
	return store.UpdateResult{Err: store.ErrLeaseLost, Status: store.InstanceStatus(status)}, nil
}

// writeJournal writes u's journal records: steps, attempts and consumed
// events. The caller has checked the fence.
func (w *writeTx) writeJournal(u *store.Update) error {
	for _, st := range u.Steps {
		args, err := stepArgs(u, st)
		if err != nil {
			return err
		}
		if _, err := w.exec(sqlStepUpsert, args...); err != nil {
			return fmt.Errorf("step %q: %w", st.Key, err)
		}
	}
	for i, a := range u.Attempts {
		if store.OnStepRow(u, &u.Attempts[i]) {
			continue
		}
		args, err := attemptArgs(u.InstanceID, a)
		if err != nil {
			return err
		}
		if _, err := w.exec(sqlAttemptInsert, args...); err != nil {
			return fmt.Errorf("attempt of step %q: %w", a.StepKey, err)
		}
	}
	for _, c := range u.ConsumeEvents {
		if _, err := w.exec(sqlEventConsume, c.StepKey, c.EventID, u.InstanceID); err != nil {
			return fmt.Errorf("consume event %d: %w", c.EventID, err)
		}
	}
	return nil
}

// attemptArgs are the arguments of sqlAttemptInsert for a.
func attemptArgs(instanceID string, a store.AttemptRecord) ([]any, error) {
	errJSON, err := errorArg(a.Attempt.Error)
	if err != nil {
		return nil, fmt.Errorf("attempt of step %q: %w", a.StepKey, err)
	}
	return []any{instanceID, a.StepKey, a.Attempt.Number, boolArg(a.Attempt.Compensation),
		micros(a.Attempt.StartedAt), micros(a.Attempt.FinishedAt), errJSON}, nil
}

// stateArgs returns the named arguments of the state columns for u.State,
// applying the AwaitEvents rule.
func (w *writeTx) stateArgs(u *store.Update, t int64) ([]any, error) {
	sc := u.State
	errJSON, err := errorArg(sc.Error)
	if err != nil {
		return nil, err
	}
	var wake, finished any
	switch sc.Status {
	case store.StatusWaiting:
		wake = nullMicros(sc.WakeAt)
		if len(sc.AwaitEvents) > 0 {
			types, err := json.Marshal(sc.AwaitEvents)
			if err != nil {
				return nil, err
			}
			var pending bool
			if err := w.queryRow(sqlAwaitedEvent, u.InstanceID, string(types)).Scan(&pending); err != nil {
				return nil, fmt.Errorf("check awaited events: %w", err)
			}
			if pending {
				wake = t
			}
		}
		if len(sc.AwaitMatch) > 0 && wake != t {
			pending, err := w.matchedEventPending(u.InstanceID, sc.AwaitMatch)
			if err != nil {
				return nil, err
			}
			if pending {
				wake = t
			}
		}
	case store.StatusComplete, store.StatusErrored, store.StatusCancelled:
		finished = t
	}
	return []any{
		sql.Named("status", string(sc.Status)),
		sql.Named("output", rawArg(sc.Output)),
		sql.Named("error", errJSON),
		sql.Named("wake", wake),
		sql.Named("finished", finished),
	}, nil
}

// stepArgs are the arguments of sqlStepUpsert for st, one of u's steps,
// with the first attempt u keeps on its row (store.FirstAttempt).
func stepArgs(u *store.Update, st *store.Step) ([]any, error) {
	if st == nil {
		return nil, errors.New("nil step")
	}
	var firstStarted, firstFinished, firstErr any
	if a := store.FirstAttempt(u, st.Key); a != nil {
		e, err := errorArg(a.Error)
		if err != nil {
			return nil, fmt.Errorf("attempt of step %q: %w", st.Key, err)
		}
		firstStarted, firstFinished, firstErr = micros(a.StartedAt), micros(a.FinishedAt), e
	}
	errJSON, err := errorArg(st.Error)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	compErrJSON, err := errorArg(st.CompensationError)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	await, err := awaitArg(st.Await)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	return []any{u.InstanceID, st.Key, st.Name, st.Seq, st.Ordinal, string(st.Kind),
		string(st.Status), rawArg(st.Output), errJSON, st.Attempts, nullMicros(st.NextAttemptAt),
		nullMicros(st.WakeAt), st.CustomStatus, boolArg(st.HasCompensation), rawArg(st.CompensationData),
		string(st.CompensationStatus), compErrJSON, st.CompensationAttempts,
		nullMicros(st.CompensationNextAt), micros(st.StartedAt), nullMicros(st.FinishedAt), await,
		firstStarted, firstFinished, firstErr}, nil
}
