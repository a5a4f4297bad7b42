package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

const (
	sqlInstanceExists = `SELECT status, wake_at FROM instances WHERE id = ?`
	// stepCols are the steps columns in the order scanStep reads.
	stepCols = `key, name, seq, ordinal, kind, status, output, error, attempts, next_attempt_at,
		wake_at, custom_status, has_compensation, compensation_data, compensation_status, compensation_error,
		compensation_attempts, compensation_next_at, started_at, finished_at, compensation_base, compensation_note, await,
		first_started_at, first_finished_at, first_error`
	sqlSteps    = `SELECT ` + stepCols + ` FROM steps WHERE instance_id = ? ORDER BY ordinal, key`
	sqlAttempts = `SELECT step_key, number, compensation, started_at, finished_at, error
		FROM attempts WHERE instance_id = ? ORDER BY id`
	sqlEvents = `SELECT id, type, payload, created_at, consumed_by
		FROM events WHERE instance_id = ? ORDER BY id`
	// EventSend reads the instance's status and event totals, inserts the
	// event, then counts it and makes a waiting instance due (SET reads
	// the row as it was before the update).
	sqlEventInstance  = `SELECT status, event_count, event_bytes FROM instances WHERE id = ?`
	sqlEventInsert    = `INSERT INTO events (instance_id, type, payload, created_at) VALUES (?, ?, ?, ?) RETURNING id`
	sqlStepEventState = `SELECT kind, status, attempts,
		EXISTS (SELECT 1 FROM events WHERE instance_id = ?1 AND type = ?3 AND consumed_by IS NULL)
		FROM steps WHERE instance_id = ?1 AND key = ?2`
	sqlEventCount = `UPDATE instances SET event_count = event_count + 1, event_bytes = event_bytes + ?3,
		wake_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > ?1) THEN ?1 ELSE wake_at END,
		updated_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > ?1) THEN ?1 ELSE updated_at END
		WHERE id = ?2`
)

// JournalLoad returns the steps (ordered by Ordinal, each with its attempt
// history) and events (ordered by ID) of an instance, read in one snapshot.
func (s *Store) JournalLoad(ctx context.Context, instanceID string) (*store.Journal, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: journal load %q: %w", instanceID, err)
	}
	defer tx.Rollback()
	j, err := loadJournal(ctx, tx, instanceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: journal load %q: %w", instanceID, err)
	}
	return j, nil
}

func loadJournal(ctx context.Context, tx *sql.Tx, instanceID string) (*store.Journal, error) {
	var (
		status string
		wake   sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, sqlInstanceExists, instanceID).Scan(&status, &wake)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	j := &store.Journal{}
	byKey := make(map[string]*store.Step)
	rows, err := tx.QueryContext(ctx, sqlSteps, instanceID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		st, err := scanStep(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		st.InstanceID = instanceID
		j.Steps = append(j.Steps, st)
		byKey[st.Key] = st
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = tx.QueryContext(ctx, sqlAttempts, instanceID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var (
			key               string
			a                 store.Attempt
			comp              bool
			started, finished int64
			errJSON           []byte
		)
		if err := rows.Scan(&key, &a.Number, &comp, &started, &finished, &errJSON); err != nil {
			rows.Close()
			return nil, err
		}
		a.Compensation = comp
		a.StartedAt = fromMicros(started)
		a.FinishedAt = fromMicros(finished)
		if a.Error, err = errorValue(errJSON); err != nil {
			rows.Close()
			return nil, err
		}
		if st := byKey[key]; st != nil {
			store.AddAttempt(st, a)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = tx.QueryContext(ctx, sqlEvents, instanceID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		ev, err := scanEvent(rows, instanceID)
		if err != nil {
			rows.Close()
			return nil, err
		}
		j.Events = append(j.Events, ev)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	return j, nil
}

// scanEvent reads one row of sqlEvents.
func scanEvent(sc scanner, instanceID string) (*store.Event, error) {
	ev := &store.Event{InstanceID: instanceID}
	var (
		payload  []byte
		created  int64
		consumed sql.NullString
	)
	if err := sc.Scan(&ev.ID, &ev.Type, &payload, &created, &consumed); err != nil {
		return nil, err
	}
	ev.Payload = rawValue(payload)
	ev.CreatedAt = fromMicros(created)
	ev.ConsumedBy = consumed.String
	return ev, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	return errors.Join(err, rows.Close())
}

// scanStep reads one row of sqlSteps.
func scanStep(sc scanner) (*store.Step, error) {
	var (
		st                                    store.Step
		kind, status, compStatus              string
		output, errJSON, compData, compErr    []byte
		await                                 []byte
		nextAttempt, wake, compNext, finished sql.NullInt64
		started                               int64
		firstStarted, firstFinished           sql.NullInt64
		firstErr                              []byte
	)
	err := sc.Scan(&st.Key, &st.Name, &st.Seq, &st.Ordinal, &kind, &status, &output, &errJSON, &st.Attempts,
		&nextAttempt, &wake, &st.CustomStatus, &st.HasCompensation, &compData, &compStatus, &compErr,
		&st.CompensationAttempts, &compNext, &started, &finished, &st.CompensationBase, &st.CompensationNote, &await,
		&firstStarted, &firstFinished, &firstErr)
	if err != nil {
		return nil, err
	}
	st.Kind = store.StepKind(kind)
	st.Status = store.StepStatus(status)
	st.Output = rawValue(output)
	if st.Error, err = errorValue(errJSON); err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	st.NextAttemptAt = timePtr(nextAttempt)
	st.WakeAt = timePtr(wake)
	st.CompensationData = rawValue(compData)
	st.CompensationStatus = store.CompensationStatus(compStatus)
	if st.CompensationError, err = errorValue(compErr); err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	st.CompensationNextAt = timePtr(compNext)
	if st.Await, err = awaitValue(await); err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	st.StartedAt = fromMicros(started)
	st.FinishedAt = timePtr(finished)
	if firstStarted.Valid {
		a := store.Attempt{Number: 1, StartedAt: fromMicros(firstStarted.Int64), FinishedAt: fromMicros(firstFinished.Int64)}
		if a.Error, err = errorValue(firstErr); err != nil {
			return nil, fmt.Errorf("step %q first attempt: %w", st.Key, err)
		}
		st.History = []store.Attempt{a}
	}
	return &st, nil
}

// EventSend stores an event for an instance (store.ErrNotFound if it does
// not exist). A waiting instance is made due at p.Now, unless its WakeAt is
// already earlier.
func (s *Store) EventSend(ctx context.Context, p *store.EventSendParams) (*store.Event, error) {
	if p == nil || p.Type == "" {
		return nil, errors.New("sqlite: event send: Type is required")
	}
	created := now(p.Now)
	t := micros(created)
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	defer w.rollback()
	var (
		status       string
		count, bytes int64
	)
	err = w.queryRow(sqlEventInstance, p.InstanceID).Scan(&status, &count, &bytes)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		err = store.CheckEvent(p, store.InstanceStatus(status), count, bytes)
	}
	if err == nil && p.Step != nil {
		err = w.checkStepEvent(p, store.InstanceStatus(status))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	ev := &store.Event{InstanceID: p.InstanceID, Type: p.Type, Payload: cloneRaw(p.Payload), CreatedAt: fromMicros(t)}
	if err := w.queryRow(sqlEventInsert, p.InstanceID, p.Type, rawArg(p.Payload), t).Scan(&ev.ID); err != nil {
		return nil, fmt.Errorf("sqlite: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	if _, err := w.exec(sqlEventCount, t, p.InstanceID, len(p.Payload)); err != nil {
		return nil, fmt.Errorf("sqlite: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	return ev, nil
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

// checkStepEvent applies store.CheckStepEvent to the step p.Step names.
func (w *writeTx) checkStepEvent(p *store.EventSendParams, status store.InstanceStatus) error {
	var (
		kind, st string
		state    store.StepState
		pending  bool
	)
	err := w.queryRow(sqlStepEventState, p.InstanceID, p.Step.Key, p.Type).Scan(&kind, &st, &state.Attempts, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		return store.CheckStepEvent(p, status, nil, false)
	}
	if err != nil {
		return fmt.Errorf("read step %q: %w", p.Step.Key, err)
	}
	state.Kind, state.Status = store.StepKind(kind), store.StepStatus(st)
	return store.CheckStepEvent(p, status, &state, pending)
}

// sqlNotifyInsert stores an event of store.Update.Notify or
// store.ControlParams.Notify for an instance that exists and is not
// finished.
const sqlNotifyInsert = `INSERT INTO events (instance_id, type, payload, created_at)
	SELECT ?1, ?2, ?3, ?4 FROM instances
	WHERE id = ?1 AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled')
	RETURNING id`

// notify stores events (Update.Notify, ControlParams.Notify) at t, each
// as EventSend does but without its limits, skipping those whose instance
// does not exist or is finished.
func (w *writeTx) notify(events []*store.EventSendParams, t int64) error {
	for _, p := range events {
		var id int64
		err := w.queryRow(sqlNotifyInsert, p.InstanceID, p.Type, rawArg(p.Payload), t).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("notify %q: %w", p.InstanceID, err)
		}
		if _, err := w.exec(sqlEventCount, t, p.InstanceID, len(p.Payload)); err != nil {
			return fmt.Errorf("notify %q: %w", p.InstanceID, err)
		}
	}
	return nil
}
