package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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
	sqlScheduleInsert = `INSERT INTO schedules (` + scheduleCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	sqlScheduleUpdate = `UPDATE schedules SET spec = ?, paused = ?, next_run_at = ?, updated_at = ? WHERE id = ? RETURNING ` + scheduleCols
	sqlScheduleGet    = `SELECT ` + scheduleCols + ` FROM schedules WHERE id = ?`
	sqlScheduleList   = `SELECT ` + scheduleCols + ` FROM schedules WHERE id > ? ORDER BY id LIMIT ?`
	sqlScheduleDelete = `DELETE FROM schedules WHERE id = ?`
	sqlFireDeleteAll  = `DELETE FROM schedule_fires WHERE schedule_id = ?`
	sqlScheduleDue    = `SELECT ` + scheduleCols + ` FROM schedules
		WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`
	sqlScheduleNext = `UPDATE schedules SET next_run_at = ? WHERE id = ?`
	sqlFireInsert   = `INSERT INTO schedule_fires (` + fireCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING ` + fireCols
	sqlFireLease = `UPDATE schedule_fires SET lease_until = ?
		WHERE (schedule_id, scheduled_at) IN (SELECT schedule_id, scheduled_at FROM schedule_fires
			WHERE outcome = 'pending' AND lease_until <= ? ORDER BY lease_until LIMIT ?)
		RETURNING ` + fireCols
	sqlFireDone = `UPDATE schedule_fires SET outcome = ?, error = ?, recorded_at = ?, lease_until = ?
		WHERE schedule_id = ? AND scheduled_at = ? AND outcome = 'pending'`
	sqlFireList = `SELECT ` + fireCols + ` FROM schedule_fires WHERE schedule_id = ? ORDER BY scheduled_at DESC LIMIT ?`
)

// scanSchedule reads one row of scheduleCols.
func scanSchedule(sc scanner) (*store.Schedule, error) {
	var (
		s          store.Schedule
		spec       []byte
		paused     int64
		next       sql.NullInt64
		created, u int64
	)
	if err := sc.Scan(&s.ID, &spec, &paused, &next, &created, &u); err != nil {
		return nil, err
	}
	s.Spec = rawValue(spec)
	s.Paused = paused != 0
	if next.Valid {
		s.NextRunAt = fromMicros(next.Int64)
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(u)
	return &s, nil
}

// scanFire reads one row of fireCols.
func scanFire(sc scanner) (*store.ScheduleFire, error) {
	var (
		f                 store.ScheduleFire
		at, rec, leaseVal int64
		outcome           string
	)
	if err := sc.Scan(&f.ScheduleID, &at, &f.InstanceID, &outcome, &f.Error, &rec, &leaseVal); err != nil {
		return nil, err
	}
	f.Outcome = store.FireOutcome(outcome)
	f.ScheduledAt, f.RecordedAt = fromMicros(at), fromMicros(rec)
	if leaseVal != 0 {
		f.LeaseUntil = fromMicros(leaseVal)
	}
	return &f, nil
}

// nextArg is next_run_at's value: NULL for the zero time.
func nextArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// leaseArg is lease_until's value: 0 for the zero time.
func leaseArg(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// ScheduleCreate stores a new schedule.
func (s *Store) ScheduleCreate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	c := *sc
	c.CreatedAt = fromMicros(micros(now(sc.CreatedAt)))
	c.UpdatedAt = c.CreatedAt
	if !c.NextRunAt.IsZero() {
		c.NextRunAt = fromMicros(micros(c.NextRunAt))
	}
	c.Spec = append([]byte(nil), sc.Spec...)
	_, err := s.write.ExecContext(ctx, sqlScheduleInsert, c.ID, string(c.Spec), boolArg(c.Paused), nextArg(c.NextRunAt),
		micros(c.CreatedAt), micros(c.UpdatedAt))
	switch {
	case uniqueViolation(err) || primaryKeyViolation(err):
		return nil, fmt.Errorf("sqlite: schedule create %q: %w", sc.ID, store.ErrAlreadyExists)
	case err != nil:
		return nil, fmt.Errorf("sqlite: schedule create %q: %w", sc.ID, err)
	}
	return &c, nil
}

// ScheduleUpdate replaces a schedule's spec, paused flag and next run.
func (s *Store) ScheduleUpdate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	row := s.write.QueryRowContext(ctx, sqlScheduleUpdate, string(sc.Spec), boolArg(sc.Paused), nextArg(sc.NextRunAt),
		micros(now(sc.UpdatedAt)), sc.ID)
	return s.scheduleRow(row, "schedule update", sc.ID)
}

// scheduleRow scans one schedule, translating no row into ErrNotFound.
func (s *Store) scheduleRow(row scanner, op, id string) (*store.Schedule, error) {
	sc, err := scanSchedule(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlite: %s %q: %w", op, id, store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("sqlite: %s %q: %w", op, id, err)
	}
	return sc, nil
}

// ScheduleGet returns one schedule.
func (s *Store) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	return s.scheduleRow(s.read.QueryRowContext(ctx, sqlScheduleGet, id), "schedule get", id)
}

// ScheduleList returns schedules sorted by ID after after.
func (s *Store) ScheduleList(ctx context.Context, after string) ([]*store.Schedule, error) {
	rows, err := s.read.QueryContext(ctx, sqlScheduleList, after, store.MaxScheduleList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule list: %w", err)
	}
	return collect(rows, scanSchedule, "sqlite: schedule list")
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error), what string) ([]*T, error) {
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
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: schedule delete %q: %w", id, err)
	}
	defer w.rollback()
	res, err := w.exec(sqlScheduleDelete, id)
	if err != nil {
		return fmt.Errorf("sqlite: schedule delete %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: schedule delete %q: %w", id, store.ErrNotFound)
	}
	if _, err := w.exec(sqlFireDeleteAll, id); err != nil {
		return fmt.Errorf("sqlite: schedule delete %q fires: %w", id, err)
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: schedule delete %q: %w", id, err)
	}
	return nil
}

// ScheduleClaim plans the due schedules and leases the pending fires, in
// one write transaction (BEGIN IMMEDIATE: one claimer at a time).
func (s *Store) ScheduleClaim(ctx context.Context, p *store.ScheduleClaimParams) ([]*store.ScheduleFire, error) {
	if err := store.ValidateScheduleClaim(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	at := micros(now(p.Now))
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule claim: %w", err)
	}
	defer w.rollback()
	rows, err := w.query(sqlScheduleDue, at, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule claim: %w", err)
	}
	due, err := collect(rows, scanSchedule, "sqlite: schedule claim")
	if err != nil {
		return nil, err
	}
	for _, sc := range due {
		fires, next := p.Plan(sc)
		if _, err := w.insertFires(fires, at); err != nil {
			return nil, fmt.Errorf("sqlite: schedule claim %q: %w", sc.ID, err)
		}
		if _, err := w.exec(sqlScheduleNext, nextArg(next), sc.ID); err != nil {
			return nil, fmt.Errorf("sqlite: schedule claim %q: %w", sc.ID, err)
		}
	}
	rows, err = w.query(sqlFireLease, micros(now(p.Now).Add(p.Lease)), at, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule claim lease: %w", err)
	}
	leased, err := collect(rows, scanFire, "sqlite: schedule claim lease")
	if err != nil {
		return nil, err
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: schedule claim: %w", err)
	}
	store.SortFires(leased)
	return leased, nil
}

// insertFires records fires whose scheduled time is not recorded yet and
// returns those it recorded.
func (w *writeTx) insertFires(fires []*store.ScheduleFire, at int64) ([]*store.ScheduleFire, error) {
	var out []*store.ScheduleFire
	for _, f := range fires {
		if err := store.ValidateScheduleFire(f); err != nil {
			return nil, err
		}
		f, err := scanFire(w.queryRow(sqlFireInsert, f.ScheduleID, micros(f.ScheduledAt), f.InstanceID, string(f.Outcome), f.Error, at, leaseArg(f.LeaseUntil)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, err
		default:
			out = append(out, f)
		}
	}
	return out, nil
}

// ScheduleFireAdd records fires made by trigger or backfill.
func (s *Store) ScheduleFireAdd(ctx context.Context, fires []*store.ScheduleFire) ([]*store.ScheduleFire, error) {
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule fire add: %w", err)
	}
	defer w.rollback()
	for _, f := range fires {
		if f == nil {
			continue
		}
		if _, err := scanSchedule(w.queryRow(sqlScheduleGet, f.ScheduleID)); errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlite: schedule fire add %q: %w", f.ScheduleID, store.ErrNotFound)
		} else if err != nil {
			return nil, fmt.Errorf("sqlite: schedule fire add %q: %w", f.ScheduleID, err)
		}
	}
	var at int64
	if len(fires) > 0 && fires[0] != nil {
		at = micros(now(fires[0].RecordedAt))
	}
	out, err := w.insertFires(fires, at)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule fire add: %w", err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: schedule fire add: %w", err)
	}
	return out, nil
}

// ScheduleFireDone records a pending fire's outcome.
func (s *Store) ScheduleFireDone(ctx context.Context, f *store.ScheduleFire) error {
	if err := store.ValidateScheduleFire(f); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, sqlFireDone, string(f.Outcome), f.Error, micros(now(f.RecordedAt)), leaseArg(f.LeaseUntil),
		f.ScheduleID, micros(f.ScheduledAt)); err != nil {
		return fmt.Errorf("sqlite: schedule fire done %q: %w", f.ScheduleID, err)
	}
	return nil
}

// ScheduleFires returns a schedule's latest fires, newest first.
func (s *Store) ScheduleFires(ctx context.Context, id string, limit int) ([]*store.ScheduleFire, error) {
	rows, err := s.read.QueryContext(ctx, sqlFireList, id, store.ScheduleFireLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: schedule fires %q: %w", id, err)
	}
	return collect(rows, scanFire, "sqlite: schedule fires")
}

// primaryKeyViolation reports whether err is SQLite's PRIMARY KEY
// constraint error.
func primaryKeyViolation(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
