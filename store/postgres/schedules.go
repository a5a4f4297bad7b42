package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.ScheduleStore = (*Store)(nil)

// scheduleCols and fireCols list the columns in the order scanSchedule and
// scanFire read.
const (
	scheduleCols = `id, spec, paused, next_run_at, created_at, updated_at`
	fireCols     = `schedule_id, scheduled_at, instance_id, outcome, error, recorded_at, lease_until`
)

const (
	sqlScheduleInsert = `INSERT INTO schedules (` + scheduleCols + `) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO NOTHING`
	sqlScheduleUpdate = `UPDATE schedules SET spec = $1, paused = $2, next_run_at = $3, updated_at = $4 WHERE id = $5
		RETURNING ` + scheduleCols
	sqlScheduleGet    = `SELECT ` + scheduleCols + ` FROM schedules WHERE id = $1`
	sqlScheduleList   = `SELECT ` + scheduleCols + ` FROM schedules WHERE id > $1 ORDER BY id LIMIT $2`
	sqlScheduleDelete = `DELETE FROM schedules WHERE id = $1`
	sqlFireDeleteAll  = `DELETE FROM schedule_fires WHERE schedule_id = $1`
	// sqlScheduleDue locks the due schedules; rows another claimer holds
	// are skipped, so concurrent claimers take disjoint schedules.
	sqlScheduleDue = `SELECT ` + scheduleCols + ` FROM schedules
		WHERE NOT paused AND next_run_at IS NOT NULL AND next_run_at <= $1
		ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`
	sqlScheduleNext = `UPDATE schedules SET next_run_at = $1 WHERE id = $2`
	sqlFireInsert   = `INSERT INTO schedule_fires (` + fireCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING RETURNING ` + fireCols
	// sqlFireLease leases the pending fires whose lease expired, skipping
	// those another claimer is leasing right now.
	sqlFireLease = `UPDATE schedule_fires f SET lease_until = $1
		FROM (SELECT schedule_id, scheduled_at FROM schedule_fires
			WHERE outcome = 'pending' AND lease_until <= $2 ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED) p
		WHERE f.schedule_id = p.schedule_id AND f.scheduled_at = p.scheduled_at
		RETURNING f.schedule_id, f.scheduled_at, f.instance_id, f.outcome, f.error, f.recorded_at, f.lease_until`
	sqlFireDone = `UPDATE schedule_fires SET outcome = $1, error = $2, recorded_at = $3, lease_until = $4
		WHERE schedule_id = $5 AND scheduled_at = $6 AND outcome = 'pending'`
	sqlFireList = `SELECT ` + fireCols + ` FROM schedule_fires WHERE schedule_id = $1 ORDER BY scheduled_at DESC LIMIT $2`
)

// epoch is the lease of a fire nobody holds.
var epoch = time.Unix(0, 0).UTC()

// scanSchedule reads one row of scheduleCols.
func scanSchedule(row pgx.Row) (*store.Schedule, error) {
	var (
		s    store.Schedule
		spec []byte
		next *time.Time
	)
	if err := row.Scan(&s.ID, &spec, &s.Paused, &next, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.Spec = rawValue(spec)
	if next != nil {
		s.NextRunAt = next.UTC()
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return &s, nil
}

// scanFire reads one row of fireCols.
func scanFire(row pgx.Row) (*store.ScheduleFire, error) {
	var (
		f       store.ScheduleFire
		outcome string
	)
	if err := row.Scan(&f.ScheduleID, &f.ScheduledAt, &f.InstanceID, &outcome, &f.Error, &f.RecordedAt, &f.LeaseUntil); err != nil {
		return nil, err
	}
	f.Outcome = store.FireOutcome(outcome)
	f.ScheduledAt, f.RecordedAt, f.LeaseUntil = f.ScheduledAt.UTC(), f.RecordedAt.UTC(), f.LeaseUntil.UTC()
	if f.LeaseUntil.Equal(epoch) {
		f.LeaseUntil = time.Time{}
	}
	return &f, nil
}

// nextArg is next_run_at's value: NULL for the zero time.
func nextArg(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := ts(t)
	return &v
}

// leaseArg is lease_until's value: the epoch for the zero time.
func leaseArg(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	return ts(t)
}

// ScheduleCreate stores a new schedule.
func (s *Store) ScheduleCreate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	c := *sc
	c.CreatedAt = ts(now(sc.CreatedAt))
	c.UpdatedAt = c.CreatedAt
	if n := nextArg(sc.NextRunAt); n != nil {
		c.NextRunAt = *n
	}
	c.Spec = append([]byte(nil), sc.Spec...)
	tag, err := s.pool.Exec(ctx, sqlScheduleInsert, c.ID, []byte(c.Spec), c.Paused, nextArg(c.NextRunAt), c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("postgres: schedule create %q: %w", sc.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("postgres: schedule create %q: %w", sc.ID, store.ErrAlreadyExists)
	}
	// jsonb may reorder the spec's keys: answer what was given.
	return &c, nil
}

// ScheduleUpdate replaces a schedule's spec, paused flag and next run.
func (s *Store) ScheduleUpdate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	row := s.pool.QueryRow(ctx, sqlScheduleUpdate, []byte(sc.Spec), sc.Paused, nextArg(sc.NextRunAt), ts(now(sc.UpdatedAt)), sc.ID)
	return scheduleRow(row, "schedule update", sc.ID)
}

// scheduleRow scans one schedule, translating no row into ErrNotFound.
func scheduleRow(row pgx.Row, op, id string) (*store.Schedule, error) {
	sc, err := scanSchedule(row)
	switch {
	case noRows(err):
		return nil, fmt.Errorf("postgres: %s %q: %w", op, id, store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("postgres: %s %q: %w", op, id, err)
	}
	return sc, nil
}

// ScheduleGet returns one schedule.
func (s *Store) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	return scheduleRow(s.pool.QueryRow(ctx, sqlScheduleGet, id), "schedule get", id)
}

// ScheduleList returns schedules sorted by ID after after.
func (s *Store) ScheduleList(ctx context.Context, after string) ([]*store.Schedule, error) {
	rows, err := s.pool.Query(ctx, sqlScheduleList, after, store.MaxScheduleList)
	if err != nil {
		return nil, fmt.Errorf("postgres: schedule list: %w", err)
	}
	return collectRows(rows, scanSchedule, "postgres: schedule list")
}

// collectRows scans every row with scan and closes rows.
func collectRows[T any](rows pgx.Rows, scan func(pgx.Row) (*T, error), what string) ([]*T, error) {
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// ScheduleDelete removes a schedule and its fires.
func (s *Store) ScheduleDelete(ctx context.Context, id string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlScheduleDelete, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, sqlFireDeleteAll, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: schedule delete %q: %w", id, err)
	}
	return nil
}

// ScheduleClaim plans the due schedules (locked FOR UPDATE SKIP LOCKED)
// and leases the pending fires, in one transaction.
func (s *Store) ScheduleClaim(ctx context.Context, p *store.ScheduleClaimParams) ([]*store.ScheduleFire, error) {
	if err := store.ValidateScheduleClaim(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	at := ts(now(p.Now))
	var leased []*store.ScheduleFire
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlScheduleDue, at, p.Limit)
		if err != nil {
			return err
		}
		due, err := collectRows(rows, scanSchedule, "due")
		if err != nil {
			return err
		}
		for _, sc := range due {
			fires, next := p.Plan(sc)
			if _, err := insertFires(ctx, tx, fires, at); err != nil {
				return fmt.Errorf("%q: %w", sc.ID, err)
			}
			if _, err := tx.Exec(ctx, sqlScheduleNext, nextArg(next), sc.ID); err != nil {
				return fmt.Errorf("%q: %w", sc.ID, err)
			}
		}
		rows, err = tx.Query(ctx, sqlFireLease, ts(at.Add(p.Lease)), at, p.Limit)
		if err != nil {
			return err
		}
		leased, err = collectRows(rows, scanFire, "lease")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: schedule claim: %w", err)
	}
	store.SortFires(leased)
	return leased, nil
}

// insertFires records fires whose scheduled time is not recorded yet and
// returns those it recorded.
func insertFires(ctx context.Context, tx pgx.Tx, fires []*store.ScheduleFire, at time.Time) ([]*store.ScheduleFire, error) {
	var out []*store.ScheduleFire
	for _, f := range fires {
		if err := store.ValidateScheduleFire(f); err != nil {
			return nil, err
		}
		got, err := scanFire(tx.QueryRow(ctx, sqlFireInsert, f.ScheduleID, ts(f.ScheduledAt), f.InstanceID, string(f.Outcome), f.Error, at, leaseArg(f.LeaseUntil)))
		switch {
		case noRows(err):
		case err != nil:
			return nil, err
		default:
			out = append(out, got)
		}
	}
	return out, nil
}

// ScheduleFireAdd records fires made by trigger or backfill.
func (s *Store) ScheduleFireAdd(ctx context.Context, fires []*store.ScheduleFire) ([]*store.ScheduleFire, error) {
	var out []*store.ScheduleFire
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, f := range fires {
			if f == nil {
				continue
			}
			if _, err := scheduleRow(tx.QueryRow(ctx, sqlScheduleGet, f.ScheduleID), "schedule fire add", f.ScheduleID); err != nil {
				return err
			}
		}
		at := ts(now(time.Time{}))
		if len(fires) > 0 && fires[0] != nil {
			at = ts(now(fires[0].RecordedAt))
		}
		var err error
		out, err = insertFires(ctx, tx, fires, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: schedule fire add: %w", err)
	}
	return out, nil
}

// ScheduleFireDone records a pending fire's outcome.
func (s *Store) ScheduleFireDone(ctx context.Context, f *store.ScheduleFire) error {
	if err := store.ValidateScheduleFire(f); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if _, err := s.pool.Exec(ctx, sqlFireDone, string(f.Outcome), f.Error, ts(now(f.RecordedAt)), leaseArg(f.LeaseUntil),
		f.ScheduleID, ts(f.ScheduledAt)); err != nil {
		return fmt.Errorf("postgres: schedule fire done %q: %w", f.ScheduleID, err)
	}
	return nil
}

// ScheduleFires returns a schedule's latest fires, newest first.
func (s *Store) ScheduleFires(ctx context.Context, id string, limit int) ([]*store.ScheduleFire, error) {
	rows, err := s.pool.Query(ctx, sqlFireList, id, store.ScheduleFireLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: schedule fires %q: %w", id, err)
	}
	return collectRows(rows, scanFire, "postgres: schedule fires")
}
