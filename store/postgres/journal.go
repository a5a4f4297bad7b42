package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

const (
	sqlSnapshotBegin = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	sqlSnapshotEnd   = `COMMIT`
	sqlInstanceState = `SELECT status FROM instances WHERE id = $1`
	stepColumns      = `instance_id, key, name, seq, ordinal, kind, status, output, error, attempts, next_attempt_at,
		wake_at, custom_status, has_compensation, compensation_data, compensation_status, compensation_error,
		compensation_attempts, compensation_next_at, started_at, finished_at, compensation_base, compensation_note, await,
		first_started_at, first_finished_at, first_error`
	attemptColumns = `instance_id, step_key, number, compensation, started_at, finished_at, error`
	eventColumns   = `instance_id, id, type, payload, created_at, consumed_by`

	sqlSteps    = `SELECT ` + stepColumns + ` FROM steps WHERE instance_id = $1 ORDER BY ordinal, key`
	sqlAttempts = `SELECT ` + attemptColumns + ` FROM attempts WHERE instance_id = $1 ORDER BY id`
	sqlEvents   = `SELECT ` + eventColumns + ` FROM events WHERE instance_id = $1 ORDER BY id`

	// The journals of the instances one claim took back (claimed before:
	// the engine reads no journal at a first claim, which has none but
	// events): their lease tokens lie in [$1, $2). Each is read by a
	// LATERAL lookup of one instance's rows, which OFFSET 0 keeps from
	// being flattened into a join: as "instance_id IN (...)" the planner,
	// with statistics that lag a growing table, hashed the claimed ids and
	// scanned the whole journal table on every claim of waking instances.
	sqlClaimed         = `(SELECT id FROM instances WHERE lease_token >= $1 AND lease_token < $2 AND claims > 1) c`
	sqlClaimedSteps    = `SELECT j.* FROM ` + sqlClaimed + ` CROSS JOIN LATERAL (SELECT ` + stepColumns + ` FROM steps WHERE instance_id = c.id OFFSET 0) j ORDER BY j.instance_id, j.ordinal, j.key`
	sqlClaimedAttempts = `SELECT j.instance_id, j.step_key, j.number, j.compensation, j.started_at, j.finished_at, j.error FROM ` + sqlClaimed +
		` CROSS JOIN LATERAL (SELECT id, ` + attemptColumns + ` FROM attempts WHERE instance_id = c.id OFFSET 0) j ORDER BY j.id`
	sqlClaimedEvents = `SELECT j.* FROM ` + sqlClaimed + ` CROSS JOIN LATERAL (SELECT ` + eventColumns + ` FROM events WHERE instance_id = c.id OFFSET 0) j ORDER BY j.id`

	// EventSend, in one implicit transaction: lock the instance (so a
	// Commit that starts it waiting for this event type either sees the
	// event or is seen by the wake below, and concurrent sends count each
	// other) reading its status and event totals; insert the event unless
	// the instance is finished or it would pass a limit ($5 events, $6
	// payload bytes, 0: none; $7 is this payload's size); if inserted,
	// count it and make a waiting instance due (SET reads the row as it
	// was). store.CheckEvent applies the same rule to the locked totals
	// to say why an event was refused.
	sqlEventLock   = `SELECT status, event_count, event_bytes FROM instances WHERE id = $1 FOR NO KEY UPDATE`
	sqlEventInsert = `WITH ins AS (
			INSERT INTO events (instance_id, type, payload, created_at)
			SELECT $1, $2, $3, $4 FROM instances
			WHERE id = $1 AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled')
			  AND ($5::int <= 0 OR event_count < $5::int)
			  AND ($6::bigint <= 0 OR event_bytes + $7::bigint <= $6::bigint)
			RETURNING id),
		counted AS (UPDATE instances SET event_count = event_count + 1, event_bytes = event_bytes + $7::bigint,
			wake_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $4) THEN $4 ELSE wake_at END,
			updated_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $4) THEN $4 ELSE updated_at END
			WHERE id = $1 AND EXISTS (SELECT 1 FROM ins))
		SELECT id FROM ins`
	// sqlStepEventState reads the state of the asynchronous step an event
	// is the result of (store.EventSendParams.Step), after sqlEventLock
	// locked its instance.
	sqlStepEventState = `SELECT kind, status, attempts,
		EXISTS (SELECT 1 FROM events WHERE instance_id = $1 AND type = $3 AND consumed_by IS NULL)
		FROM steps WHERE instance_id = $1 AND key = $2`
	// sqlStepEventInsert is sqlEventInsert for the result of an
	// asynchronous step: stored only if the step takes it
	// (store.CheckStepEvent).
	sqlStepEventInsert = `WITH ins AS (
			INSERT INTO events (instance_id, type, payload, created_at)
			SELECT $1, $2, $3, $4 FROM instances
			WHERE id = $1 AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled')
			  AND ($5::int <= 0 OR event_count < $5::int)
			  AND ($6::bigint <= 0 OR event_bytes + $7::bigint <= $6::bigint)
			  AND EXISTS (SELECT 1 FROM steps WHERE instance_id = $1 AND key = $8
				AND kind = 'async' AND status = 'waiting' AND attempts = $9::int)
			  AND NOT EXISTS (SELECT 1 FROM events WHERE instance_id = $1 AND type = $2 AND consumed_by IS NULL)
			RETURNING id),
		counted AS (UPDATE instances SET event_count = event_count + 1, event_bytes = event_bytes + $7::bigint,
			wake_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $4) THEN $4 ELSE wake_at END,
			updated_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $4) THEN $4 ELSE updated_at END
			WHERE id = $1 AND EXISTS (SELECT 1 FROM ins))
		SELECT id FROM ins`
)

// JournalLoad returns the steps (ordered by Ordinal, each with its attempt
// history) and events (ordered by ID) of an instance, read in one snapshot
// (a read-only REPEATABLE READ transaction sent in one round trip). Right
// after InstanceClaim it returns the journal the claim read instead.
func (s *Store) JournalLoad(ctx context.Context, instanceID string) (*store.Journal, error) {
	if j := s.prefetch.take(instanceID); j != nil {
		return j, nil
	}
	exists := false
	journals := map[string]*store.Journal{instanceID: {}}
	b := &pgx.Batch{}
	b.Queue(sqlSnapshotBegin)
	b.Queue(sqlInstanceState, instanceID).Query(func(rows pgx.Rows) error {
		exists = rows.Next()
		return nil
	})
	queueJournals(b, journals, instanceID, instanceID)
	b.Queue(sqlSnapshotEnd)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: journal load %q: %w", instanceID, err)
	}
	if !exists {
		return nil, fmt.Errorf("postgres: journal load %q: %w", instanceID, store.ErrNotFound)
	}
	return journals[instanceID], nil
}

// queueJournals queues the reads of the journals of instances: the one
// instance lo when lo == hi, else the instances whose lease token lies in
// [lo, hi) (those one claim just took). The answers fill journals, which
// must hold an entry for each instance.
func queueJournals(b *pgx.Batch, journals map[string]*store.Journal, lo, hi string) {
	stepsQ, attemptsQ, eventsQ := sqlSteps, sqlAttempts, sqlEvents
	args := []any{lo}
	if lo != hi {
		stepsQ, attemptsQ, eventsQ = sqlClaimedSteps, sqlClaimedAttempts, sqlClaimedEvents
		args = []any{lo, hi}
	}
	type stepKey struct{ instance, key string }
	byKey := map[stepKey]*store.Step{}
	b.Queue(stepsQ, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			st, err := scanStep(rows, &id)
			if err != nil {
				return err
			}
			j := journals[id]
			if j == nil {
				continue
			}
			st.InstanceID = id
			j.Steps = append(j.Steps, st)
			byKey[stepKey{id, st.Key}] = st
		}
		return rows.Err()
	})
	b.Queue(attemptsQ, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				id, key string
				a       store.Attempt
				errJSON *string
			)
			if err := rows.Scan(&id, &key, &a.Number, &a.Compensation, &a.StartedAt, &a.FinishedAt, &errJSON); err != nil {
				return err
			}
			a.StartedAt, a.FinishedAt = a.StartedAt.UTC(), a.FinishedAt.UTC()
			var err error
			if a.Error, err = errorValue(errJSON); err != nil {
				return err
			}
			if st := byKey[stepKey{id, key}]; st != nil {
				store.AddAttempt(st, a)
			}
		}
		return rows.Err()
	})
	b.Queue(eventsQ, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			ev, err := scanEvent(rows)
			if err != nil {
				return err
			}
			if j := journals[ev.InstanceID]; j != nil {
				j.Events = append(j.Events, ev)
			}
		}
		return rows.Err()
	})
}

// scanEvent reads one row of eventColumns.
func scanEvent(row pgx.Row) (*store.Event, error) {
	ev := &store.Event{}
	var (
		payload  []byte
		consumed *string
	)
	if err := row.Scan(&ev.InstanceID, &ev.ID, &ev.Type, &payload, &ev.CreatedAt, &consumed); err != nil {
		return nil, err
	}
	ev.Payload = rawValue(payload)
	ev.CreatedAt = ev.CreatedAt.UTC()
	if consumed != nil {
		ev.ConsumedBy = *consumed
	}
	return ev, nil
}

// scanStep reads one row of stepColumns; the instance ID goes to id.
func scanStep(row pgx.Row, id *string) (*store.Step, error) {
	var (
		st                                    store.Step
		kind, status, compStatus              string
		output, compData                      []byte
		errJSON, compErr, await, firstErr     *string
		nextAttempt, wake, compNext, finished *time.Time
		firstStarted, firstFinished           *time.Time
	)
	err := row.Scan(id, &st.Key, &st.Name, &st.Seq, &st.Ordinal, &kind, &status, &output, &errJSON, &st.Attempts,
		&nextAttempt, &wake, &st.CustomStatus, &st.HasCompensation, &compData, &compStatus, &compErr,
		&st.CompensationAttempts, &compNext, &st.StartedAt, &finished, &st.CompensationBase, &st.CompensationNote, &await,
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
	st.NextAttemptAt = utc(nextAttempt)
	st.WakeAt = utc(wake)
	st.CompensationData = rawValue(compData)
	st.CompensationStatus = store.CompensationStatus(compStatus)
	if st.CompensationError, err = errorValue(compErr); err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	st.CompensationNextAt = utc(compNext)
	if st.Await, err = awaitValue(await); err != nil {
		return nil, fmt.Errorf("step %q: %w", st.Key, err)
	}
	st.StartedAt = st.StartedAt.UTC()
	st.FinishedAt = utc(finished)
	if firstStarted != nil && firstFinished != nil {
		a := store.Attempt{Number: 1, StartedAt: firstStarted.UTC(), FinishedAt: firstFinished.UTC()}
		if a.Error, err = errorValue(firstErr); err != nil {
			return nil, fmt.Errorf("step %q first attempt: %w", st.Key, err)
		}
		st.History = []store.Attempt{a}
	}
	return &st, nil
}

// EventSend stores an event for an instance (store.ErrNotFound if it does
// not exist). A waiting instance is made due at p.Now, unless its WakeAt is
// already earlier, and the idle workers of every process are notified.
func (s *Store) EventSend(ctx context.Context, p *store.EventSendParams) (*store.Event, error) {
	if p == nil || p.Type == "" {
		return nil, errors.New("postgres: event send: Type is required")
	}
	s.prefetch.drop(p.InstanceID)
	t := ts(now(p.Now))
	ev := &store.Event{InstanceID: p.InstanceID, Type: p.Type, Payload: cloneRaw(p.Payload), CreatedAt: t}
	var (
		found        bool
		status       string
		count, bytes int64
	)
	b := &pgx.Batch{}
	b.Queue(sqlEventLock, p.InstanceID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			found = true
			if err := rows.Scan(&status, &count, &bytes); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	var step *stepEventState
	insert, args := sqlEventInsert, []any{p.InstanceID, p.Type, rawArg(p.Payload), t, p.MaxEvents, p.MaxBytes, int64(len(p.Payload))}
	if p.Step != nil {
		step = queueStepEventState(b, p)
		insert, args = sqlStepEventInsert, append(args, p.Step.Key, p.Step.Attempt)
	}
	b.Queue(insert, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&ev.ID); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	b.Queue(sqlNotify, s.channel)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	if !found {
		return nil, fmt.Errorf("postgres: event send %q to %q: %w", p.Type, p.InstanceID, store.ErrNotFound)
	}
	if ev.ID == 0 {
		err := store.CheckEvent(p, store.InstanceStatus(status), count, bytes)
		if err == nil && step != nil {
			err = store.CheckStepEvent(p, store.InstanceStatus(status), step.state, step.pending)
		}
		if err == nil {
			err = errors.New("the event was not stored")
		}
		return nil, fmt.Errorf("postgres: event send %q to %q: %w", p.Type, p.InstanceID, err)
	}
	return ev, nil
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

// stepEventState is what sqlStepEventState read: the step's state (nil
// when the instance has no such step) and whether a result is pending.
type stepEventState struct {
	state   *store.StepState
	pending bool
}

// queueStepEventState queues the read of the step p.Step names.
func queueStepEventState(b *pgx.Batch, p *store.EventSendParams) *stepEventState {
	out := &stepEventState{}
	b.Queue(sqlStepEventState, p.InstanceID, p.Step.Key, p.Type).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var kind, status string
			st := &store.StepState{}
			if err := rows.Scan(&kind, &status, &st.Attempts, &out.pending); err != nil {
				return err
			}
			st.Kind, st.Status = store.StepKind(kind), store.StepStatus(status)
			out.state = st
		}
		return rows.Err()
	})
	return out
}
