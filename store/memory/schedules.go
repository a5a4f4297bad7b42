package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.ScheduleStore = (*Store)(nil)

// scheduleTable holds a Store's schedules and their fires. The zero value
// is empty and usable.
type scheduleTable struct {
	mu    sync.Mutex
	byID  map[string]*store.Schedule
	fires map[string]map[int64]*store.ScheduleFire // schedule id -> unix micros -> fire
}

func cloneSchedule(s *store.Schedule) *store.Schedule {
	c := *s
	c.Spec = append([]byte(nil), s.Spec...)
	return &c
}

func cloneFire(f *store.ScheduleFire) *store.ScheduleFire {
	c := *f
	return &c
}

// ScheduleCreate stores a new schedule.
func (s *Store) ScheduleCreate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byID[sc.ID]; ok {
		return nil, fmt.Errorf("memory: schedule create %q: %w", sc.ID, store.ErrAlreadyExists)
	}
	c := cloneSchedule(sc)
	c.CreatedAt = now(sc.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	c.NextRunAt = normZero(sc.NextRunAt)
	if t.byID == nil {
		t.byID = map[string]*store.Schedule{}
		t.fires = map[string]map[int64]*store.ScheduleFire{}
	}
	t.byID[c.ID] = c
	return cloneSchedule(c), nil
}

// normZero normalises t, keeping the zero time zero.
func normZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return norm(t)
}

// ScheduleUpdate replaces a schedule's spec, paused flag and next run.
func (s *Store) ScheduleUpdate(ctx context.Context, sc *store.Schedule) (*store.Schedule, error) {
	if err := store.ValidateSchedule(sc); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.byID[sc.ID]
	if !ok {
		return nil, fmt.Errorf("memory: schedule update %q: %w", sc.ID, store.ErrNotFound)
	}
	c := cloneSchedule(sc)
	c.CreatedAt = old.CreatedAt
	c.UpdatedAt = now(sc.UpdatedAt)
	c.NextRunAt = normZero(sc.NextRunAt)
	t.byID[c.ID] = c
	return cloneSchedule(c), nil
}

// ScheduleGet returns one schedule.
func (s *Store) ScheduleGet(ctx context.Context, id string) (*store.Schedule, error) {
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	sc, ok := t.byID[id]
	if !ok {
		return nil, fmt.Errorf("memory: schedule %q: %w", id, store.ErrNotFound)
	}
	return cloneSchedule(sc), nil
}

// ScheduleList returns schedules sorted by ID after after.
func (s *Store) ScheduleList(ctx context.Context, after string) ([]*store.Schedule, error) {
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []*store.Schedule{}
	for id, sc := range t.byID {
		if id > after {
			out = append(out, cloneSchedule(sc))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > store.MaxScheduleList {
		out = out[:store.MaxScheduleList]
	}
	return out, nil
}

// ScheduleDelete removes a schedule and its fires.
func (s *Store) ScheduleDelete(ctx context.Context, id string) error {
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byID[id]; !ok {
		return fmt.Errorf("memory: schedule delete %q: %w", id, store.ErrNotFound)
	}
	delete(t.byID, id)
	delete(t.fires, id)
	return nil
}

// ScheduleClaim plans the due schedules and leases the pending fires.
func (s *Store) ScheduleClaim(ctx context.Context, p *store.ScheduleClaimParams) ([]*store.ScheduleFire, error) {
	if err := store.ValidateScheduleClaim(p); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	at := now(p.Now)
	lease := norm(at.Add(p.Lease))
	var due []*store.Schedule
	for _, sc := range t.byID {
		if !sc.Paused && !sc.NextRunAt.IsZero() && !sc.NextRunAt.After(at) {
			due = append(due, sc)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].NextRunAt.Before(due[j].NextRunAt) })
	if len(due) > p.Limit {
		due = due[:p.Limit]
	}
	for _, sc := range due {
		fires, next := p.Plan(cloneSchedule(sc))
		for _, f := range fires {
			if err := store.ValidateScheduleFire(f); err != nil {
				return nil, fmt.Errorf("memory: schedule claim %q: %w", sc.ID, err)
			}
		}
		for _, f := range fires {
			t.addFire(f, at)
		}
		sc.NextRunAt = normZero(next)
	}
	var out []*store.ScheduleFire
	for _, byAt := range t.fires {
		for _, f := range byAt {
			if f.Outcome == store.FirePending && !f.LeaseUntil.After(at) {
				f.LeaseUntil = lease
				out = append(out, cloneFire(f))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LeaseUntil.Before(out[j].LeaseUntil) })
	if len(out) > p.Limit {
		for _, f := range out[p.Limit:] { // not taken: give the lease back
			t.fires[f.ScheduleID][f.ScheduledAt.UnixMicro()].LeaseUntil = time.Time{}
		}
		out = out[:p.Limit]
	}
	store.SortFires(out)
	return out, nil
}

// addFire records f unless its scheduled time is recorded; it reports
// whether it did. A pending fire's LeaseUntil is when it may be started
// (zero: at once).
func (t *scheduleTable) addFire(f *store.ScheduleFire, at time.Time) bool {
	byAt := t.fires[f.ScheduleID]
	if byAt == nil {
		byAt = map[int64]*store.ScheduleFire{}
		t.fires[f.ScheduleID] = byAt
	}
	key := norm(f.ScheduledAt).UnixMicro()
	if _, ok := byAt[key]; ok {
		return false
	}
	c := cloneFire(f)
	c.ScheduledAt = norm(f.ScheduledAt)
	c.RecordedAt = at
	c.LeaseUntil = normZero(f.LeaseUntil)
	byAt[key] = c
	return true
}

// ScheduleFireAdd records fires made by trigger or backfill.
func (s *Store) ScheduleFireAdd(ctx context.Context, fires []*store.ScheduleFire) ([]*store.ScheduleFire, error) {
	for _, f := range fires {
		if err := store.ValidateScheduleFire(f); err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
	}
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*store.ScheduleFire
	for _, f := range fires {
		if _, ok := t.byID[f.ScheduleID]; !ok {
			return nil, fmt.Errorf("memory: schedule fire add %q: %w", f.ScheduleID, store.ErrNotFound)
		}
	}
	for _, f := range fires {
		if t.addFire(f, now(f.RecordedAt)) {
			out = append(out, cloneFire(t.fires[f.ScheduleID][norm(f.ScheduledAt).UnixMicro()]))
		}
	}
	return out, nil
}

// ScheduleFireDone records a pending fire's outcome.
func (s *Store) ScheduleFireDone(ctx context.Context, f *store.ScheduleFire) error {
	if err := store.ValidateScheduleFire(f); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.fires[f.ScheduleID][norm(f.ScheduledAt).UnixMicro()]
	if old == nil || old.Outcome != store.FirePending {
		return nil
	}
	old.Outcome, old.Error, old.RecordedAt = f.Outcome, f.Error, now(f.RecordedAt)
	old.LeaseUntil = normZero(f.LeaseUntil)
	return nil
}

// ScheduleFires returns a schedule's latest fires, newest first.
func (s *Store) ScheduleFires(ctx context.Context, id string, limit int) ([]*store.ScheduleFire, error) {
	t := &s.schedules
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []*store.ScheduleFire{}
	for _, f := range t.fires[id] {
		out = append(out, cloneFire(f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ScheduledAt.After(out[j].ScheduledAt) })
	if n := store.ScheduleFireLimit(limit); len(out) > n {
		out = out[:n]
	}
	return out, nil
}
