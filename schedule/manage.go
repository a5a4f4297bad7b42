package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Bounds of the management calls.
const (
	// MaxBackfill is how many fires one Backfill may make.
	MaxBackfill = 1000
	// NextShown and LastShown are how many next fire times and last fires
	// a View holds.
	NextShown = 10
	LastShown = 20
)

// View is a schedule as the API and the CLI show it.
type View struct {
	Spec
	NextRunAt *time.Time            `json:"nextRunAt,omitempty"`
	CreatedAt time.Time             `json:"createdAt"`
	UpdatedAt time.Time             `json:"updatedAt"`
	NextFires []time.Time           `json:"nextFires"`
	LastFires []*store.ScheduleFire `json:"lastFires,omitempty"`
}

// view builds the View of a stored schedule; with fires, its last fires.
func (s *Scheduler) view(ctx context.Context, row *store.Schedule, fires bool) (*View, error) {
	c, err := decode(row)
	if err != nil {
		return nil, err
	}
	v := &View{Spec: *c.spec, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, NextFires: []time.Time{}}
	if !row.NextRunAt.IsZero() {
		n := row.NextRunAt
		v.NextRunAt = &n
		v.NextFires = append(v.NextFires, n)
		v.NextFires = append(v.NextFires, c.nextN(n, NextShown-1)...)
	}
	if fires {
		if v.LastFires, err = s.st.ScheduleFires(ctx, row.ID, LastShown); err != nil {
			return nil, fmt.Errorf("schedule %q: fires: %w", row.ID, err)
		}
	}
	return v, nil
}

// check validates sp and, for a flow target, its order.
func (s *Scheduler) check(ctx context.Context, sp *Spec) (*compiled, error) {
	c, err := compile(sp)
	if err != nil {
		return nil, err
	}
	if sp.Flow != "" {
		o := s.orderTarget()
		if o == nil {
			return nil, fieldError("flow", "%v", errNoOrders)
		}
		if err := o.CheckOrder(ctx, sp.Flow, sp.Order); err != nil {
			return nil, err
		}
	} else if !s.registered(sp.Workflow) {
		return nil, fmt.Errorf("%w: schedule workflow: %q is not registered", ordo.ErrInvalidArgument, sp.Workflow)
	}
	if len(sp.Params) > s.eng.MaxPayloadBytes() || len(sp.Order) > s.eng.MaxPayloadBytes() {
		return nil, fmt.Errorf("%w: schedule params or order is over %d bytes", ordo.ErrPayloadTooLarge, s.eng.MaxPayloadBytes())
	}
	return c, nil
}

func (s *Scheduler) registered(name string) bool {
	for _, w := range s.eng.Workflows() {
		if w.Name == name {
			return true
		}
	}
	return false
}

// stored is sp's stored form (without Paused: the row holds it).
func stored(sp *Spec) (json.RawMessage, error) {
	c := *sp
	c.Paused = false
	return json.Marshal(&c)
}

// Create stores a new schedule; its first fire is the first scheduled time
// after now. An ID that exists wraps ordo.ErrAlreadyExists.
func (s *Scheduler) Create(ctx context.Context, sp *Spec) (*View, error) {
	c, err := s.check(ctx, sp)
	if err != nil {
		return nil, err
	}
	raw, err := stored(sp)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: encode: %w", sp.ID, err)
	}
	now := s.clock.Now()
	row, err := s.st.ScheduleCreate(ctx, &store.Schedule{ID: sp.ID, Spec: raw, Paused: sp.Paused, NextRunAt: c.next(now), CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, fmt.Errorf("%w: schedule %q exists", ordo.ErrAlreadyExists, sp.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("schedule %q: create: %w", sp.ID, err)
	}
	s.audit(ctx, store.ActionScheduleCreate, sp.ID, nil, specFields(row.Spec, row.Paused))
	return s.view(ctx, row, false)
}

// get reads a stored schedule, translating ErrNotFound.
func (s *Scheduler) get(ctx context.Context, id string) (*store.Schedule, error) {
	if err := ordo.ValidateID("schedule id", id); err != nil {
		return nil, err
	}
	row, err := s.st.ScheduleGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: schedule %q", ordo.ErrNotFound, id)
	}
	return row, err
}

// load reads and decodes a stored schedule.
func (s *Scheduler) load(ctx context.Context, id string) (*store.Schedule, *compiled, error) {
	row, err := s.get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := decode(row)
	if err != nil {
		return nil, nil, err
	}
	return row, c, nil
}

// Get returns a schedule with its next fire times and last fires.
func (s *Scheduler) Get(ctx context.Context, id string) (*View, error) {
	row, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, row, true)
}

// List returns at most store.MaxScheduleList schedules sorted by ID, after
// the ID after.
func (s *Scheduler) List(ctx context.Context, after string) ([]*View, error) {
	rows, err := s.st.ScheduleList(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("schedule: list: %w", err)
	}
	out := make([]*View, 0, len(rows))
	for _, row := range rows {
		v, err := s.view(ctx, row, false)
		if err != nil {
			s.log.Warn("schedule: unreadable schedule left out of the list", "schedule", row.ID, "err", err)
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

// Update merges patch (a JSON object of Spec fields; id may not change)
// into the schedule. A change of cron, timezone or every moves the next
// fire to the first new time after now.
func (s *Scheduler) Update(ctx context.Context, id string, patch json.RawMessage) (*View, error) {
	row, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(patch, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%w: schedule patch must be a JSON object of schedule fields", ordo.ErrInvalidArgument)
	}
	var merged map[string]json.RawMessage
	if err := json.Unmarshal(row.Spec, &merged); err != nil {
		return nil, fmt.Errorf("schedule %q: stored spec: %w", id, err)
	}
	timing := false
	for k, v := range fields {
		switch k {
		case "id":
			var nid string
			if json.Unmarshal(v, &nid) != nil || nid != id {
				return nil, fieldError("id", "cannot change (delete and create instead)")
			}
		case "cron", "timezone", "every":
			timing = timing || !bytes.Equal(merged[k], v)
		}
		if string(v) == "null" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	if _, ok := fields["paused"]; !ok {
		merged["paused"] = json.RawMessage(fmt.Sprint(row.Paused))
	}
	raw, _ := json.Marshal(merged)
	var sp Spec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("%w: schedule patch: %w", ordo.ErrInvalidArgument, err)
	}
	c, err := s.check(ctx, &sp)
	if err != nil {
		return nil, err
	}
	next := row.NextRunAt
	if timing || next.IsZero() {
		next = c.next(s.clock.Now())
	}
	v, err := s.put(ctx, &sp, next)
	if err != nil {
		return nil, err
	}
	cur, _ := stored(&sp)
	before, after := changedFields(specFields(row.Spec, row.Paused), specFields(cur, sp.Paused))
	s.audit(ctx, store.ActionScheduleUpdate, id, before, after)
	return v, nil
}

// put writes sp with next as the next fire.
func (s *Scheduler) put(ctx context.Context, sp *Spec, next time.Time) (*View, error) {
	raw, err := stored(sp)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: encode: %w", sp.ID, err)
	}
	row, err := s.st.ScheduleUpdate(ctx, &store.Schedule{ID: sp.ID, Spec: raw, Paused: sp.Paused, NextRunAt: next, UpdatedAt: s.clock.Now()})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: schedule %q", ordo.ErrNotFound, sp.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("schedule %q: update: %w", sp.ID, err)
	}
	return s.view(ctx, row, true)
}

// Pause stops a schedule firing; Resume starts it again (the catch-up
// window decides which of the times missed meanwhile still run).
func (s *Scheduler) Pause(ctx context.Context, id string) (*View, error) {
	return s.setPaused(ctx, id, true)
}

// Resume starts a paused schedule firing again.
func (s *Scheduler) Resume(ctx context.Context, id string) (*View, error) {
	return s.setPaused(ctx, id, false)
}

func (s *Scheduler) setPaused(ctx context.Context, id string, paused bool) (*View, error) {
	row, c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.spec.Paused = paused
	v, err := s.put(ctx, c.spec, row.NextRunAt)
	if err != nil {
		return nil, err
	}
	action := store.ActionScheduleResume
	if paused {
		action = store.ActionSchedulePause
	}
	s.audit(ctx, action, id, map[string]bool{"paused": row.Paused}, map[string]bool{"paused": paused})
	return v, nil
}

// Delete removes a schedule and its fire records; instances it started
// are not touched.
func (s *Scheduler) Delete(ctx context.Context, id string) error {
	row, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.st.ScheduleDelete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("schedule %q: delete: %w", id, err)
	}
	s.audit(ctx, store.ActionScheduleDelete, id, specFields(row.Spec, row.Paused), nil)
	return nil
}

// Trigger fires a schedule now (at the current second, paused or not),
// applying its overlap policy, and returns the fire. A fire already
// recorded for this second wraps ordo.ErrAlreadyExists.
func (s *Scheduler) Trigger(ctx context.Context, id string) (*store.ScheduleFire, error) {
	_, c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	fires, err := s.hold(ctx, c, []time.Time{s.clock.Now().Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	if len(fires) == 0 {
		return nil, fmt.Errorf("%w: schedule %q already fired this second", ordo.ErrAlreadyExists, id)
	}
	if err := s.startFire(ctx, fires[0], true); err != nil {
		return nil, err
	}
	s.audit(ctx, store.ActionScheduleTrigger, id, nil, map[string]any{"scheduledAt": fires[0].ScheduledAt, "instanceId": fires[0].InstanceID})
	return fires[0], nil
}

// hold records pending fires of c at times, leased to this scheduler, and
// returns those that were new.
func (s *Scheduler) hold(ctx context.Context, c *compiled, times []time.Time) ([]*store.ScheduleFire, error) {
	now := s.clock.Now()
	fires := make([]*store.ScheduleFire, len(times))
	for i, t := range times {
		fires[i] = c.fire(t, store.FirePending)
		fires[i].LeaseUntil, fires[i].RecordedAt = now.Add(s.cfg.Lease), now
	}
	added, err := s.st.ScheduleFireAdd(ctx, fires)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: record fires: %w", c.spec.ID, err)
	}
	return added, nil
}

// BackfillResult is what Backfill did.
type BackfillResult struct {
	// Fires are the fires started, oldest first.
	Fires []*store.ScheduleFire `json:"fires"`
	// AlreadyFired counts the times in the range that had fired before.
	AlreadyFired int `json:"alreadyFired"`
}

// Backfill fires every scheduled time of a schedule in [from, to] (at most
// MaxBackfill, both in the past) that has not fired yet, ignoring the
// overlap policy; times that already fired are not repeated.
func (s *Scheduler) Backfill(ctx context.Context, id string, from, to time.Time) (*BackfillResult, error) {
	_, c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case from.IsZero() || to.IsZero():
		return nil, fieldError("from", "from and to are required (RFC 3339 times)")
	case to.Before(from):
		return nil, fieldError("to", "is before from")
	case to.After(s.clock.Now()):
		return nil, fieldError("to", "is in the future; backfill fills the past")
	}
	var times []time.Time
	for t := c.next(from.Add(-time.Nanosecond)); !t.IsZero() && !t.After(to); t = c.next(t) {
		if len(times) == MaxBackfill {
			return nil, fieldError("to", "the range holds more than %d fire times; backfill a shorter range", MaxBackfill)
		}
		times = append(times, t)
	}
	added, err := s.hold(ctx, c, times)
	if err != nil {
		return nil, err
	}
	res := &BackfillResult{Fires: []*store.ScheduleFire{}, AlreadyFired: len(times) - len(added)}
	for _, f := range added {
		if err := s.startFire(ctx, f, false); err != nil {
			return nil, err
		}
		res.Fires = append(res.Fires, f)
	}
	s.audit(ctx, store.ActionScheduleBackfill, id, nil, map[string]any{"from": from, "to": to, "fires": len(res.Fires), "alreadyFired": res.AlreadyFired})
	return res, nil
}
