package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/internal/lifecycle"
	"github.com/ordohq/ordo/store"
)

// Config configures a Scheduler. Zero fields take the documented defaults.
type Config struct {
	// Engine starts the fires' instances. Required; its store must
	// implement store.ScheduleStore, and its clock is the scheduler's.
	Engine *ordo.Engine
	// PollInterval is how often the scheduler looks for due fires.
	// Default 1 s.
	PollInterval time.Duration
	// Lease is how long a claimed fire stays with this scheduler before
	// another may start it (after a crash). Default 30 s.
	Lease time.Duration
	// Batch is how many due schedules (and pending fires) one claim takes.
	// Default 100.
	Batch int
	// Logger receives the scheduler's logs. Default slog.Default().
	Logger *slog.Logger
	// OnFire, if set, is called after a fire's final outcome is recorded
	// (started, already-existed, skipped-overlap, failed; not the
	// skipped-catchup fires a claim records), with the schedule's ID.
	// Package metrics counts them. It must not block. Default: none.
	OnFire func(scheduleID string, outcome store.FireOutcome)
}

// Orders creates the recurring orders of schedules with a flow target.
// Package order's Service implements it and registers itself with
// Scheduler.SetOrders, so this package does not import it.
type Orders interface {
	// CheckOrder validates a recurring order's body (without id) for flow.
	CheckOrder(ctx context.Context, flow string, order json.RawMessage) error
	// StartOrder creates the order id from the body; an order that exists
	// returns an error wrapping ordo.ErrAlreadyExists.
	StartOrder(ctx context.Context, flow, id string, order json.RawMessage) error
}

// Scheduler fires the stored schedules: it claims due fires in the
// database (so each scheduled time goes to one worker however many run)
// and starts each fire's instance with an ID derived from the schedule and
// the scheduled time, so a time can never start two instances.
type Scheduler struct {
	cfg   Config
	eng   *ordo.Engine
	st    store.ScheduleStore
	clock ordo.Clock
	log   *slog.Logger

	// life starts and stops the loop.
	life lifecycle.Loop

	mu     sync.Mutex
	orders Orders
}

// New validates cfg and returns a scheduler. It does not touch storage.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Engine == nil {
		return nil, fmt.Errorf("%w: schedule.Config.Engine is required", ordo.ErrInvalidArgument)
	}
	st, ok := cfg.Engine.Store().(store.ScheduleStore)
	if !ok {
		return nil, fmt.Errorf("%w: the store %T keeps no schedules", ordo.ErrInvalidArgument, cfg.Engine.Store())
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Batch <= 0 || cfg.Batch > store.MaxScheduleList {
		cfg.Batch = 100
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Scheduler{cfg: cfg, eng: cfg.Engine, st: st, clock: cfg.Engine.Clock(), log: cfg.Logger}, nil
}

// SetOrders registers the creator of recurring orders (package order's
// Service). Without it, schedules with a flow target are refused.
func (s *Scheduler) SetOrders(o Orders) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders = o
}

func (s *Scheduler) orderTarget() Orders {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orders
}

// Start starts the loop that fires due schedules every PollInterval. It
// returns at once; Stop ends it.
func (s *Scheduler) Start(ctx context.Context) error {
	return s.life.Start(ctx, "schedule: scheduler", s.loop)
}

// Stop ends the loop and waits for it (or for ctx). Calling it twice, or
// before Start, is safe.
func (s *Scheduler) Stop(ctx context.Context) error {
	return s.life.Stop(ctx, "schedule")
}

func (s *Scheduler) loop(ctx context.Context) {
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("schedule: claim failed", "err", err)
		}
		t := s.clock.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// RunOnce claims the fires due now and starts them; it returns how many
// fires it handled. The loop calls it every PollInterval; tests call it
// after advancing a virtual clock.
func (s *Scheduler) RunOnce(ctx context.Context) (int, error) {
	now := s.clock.Now()
	fires, err := s.st.ScheduleClaim(ctx, &store.ScheduleClaimParams{Now: now, Limit: s.cfg.Batch, Lease: s.cfg.Lease, Plan: s.plan(now)})
	if err != nil {
		return 0, fmt.Errorf("schedule: claim: %w", err)
	}
	for _, f := range fires {
		if err := s.startFire(ctx, f, true); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			s.log.Warn("schedule: fire not started; retried after its lease", "schedule", f.ScheduleID,
				"scheduledAt", f.ScheduledAt, "err", err)
		}
	}
	return len(fires), nil
}

// decode reads a stored schedule's spec.
func decode(row *store.Schedule) (*compiled, error) {
	var sp Spec
	if err := json.Unmarshal(row.Spec, &sp); err != nil {
		return nil, fmt.Errorf("schedule %q: stored spec: %w", row.ID, err)
	}
	sp.ID, sp.Paused = row.ID, row.Paused
	return compile(&sp)
}
