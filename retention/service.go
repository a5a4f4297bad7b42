package retention

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/internal/lifecycle"
	"github.com/ordohq/ordo/store"
)

// Bounds of the interval between passes (Config.Interval's default).
const (
	MaxInterval = time.Minute
	MinInterval = time.Second
)

// DefaultPauseRatio is Config.PauseRatio's default.
const DefaultPauseRatio = 3

// Config configures a Service.
type Config struct {
	// Engine runs the purges; its store must implement store.PurgeStore.
	// Required.
	Engine *ordo.Engine
	// Period is how long finished instances are kept after they finished,
	// for the workflows without a period of their own. Default 0: kept
	// forever (only workflows with a period of their own are deleted).
	Period time.Duration
	// Interval is the time between passes. Default: a tenth of the
	// shortest period in force, between MinInterval and MaxInterval (a
	// minute), computed again after every pass.
	Interval time.Duration
	// BatchSize is how many instances one delete transaction takes.
	// Default store.DefaultPurgeBatch.
	BatchSize int
	// PauseRatio paces the deletion (ordo.PurgeOptions.PauseRatio): after
	// each batch the pass waits this many times as long as the batch
	// took. Default DefaultPauseRatio (3: deleting takes at most a quarter
	// of the database's time); -1 deletes without a pause.
	PauseRatio float64
	// Logger receives a line per pass that deleted something, and
	// failures. Default: the engine's (slog.Default()).
	Logger *slog.Logger
	// OnPass, if set, is called after every pass with what it did (for
	// metrics). It must not block.
	OnPass func(Pass)
}

// Pass is what one pass of a Service did.
type Pass struct {
	// Start is when it began (the engine's clock); Duration how long it
	// took (the wall clock).
	Start    time.Time
	Duration time.Duration
	// Deleted is how many instances it deleted, in all.
	Deleted int
	// Busy says another process held the purge lock: the pass deleted
	// nothing and the next one tries again.
	Busy bool
	// Err is the pass's failure, if any (the next pass tries again).
	Err error
}

// Service deletes finished instances past their retention period. Create
// it with New, then Start it; Stop ends it.
type Service struct {
	cfg   Config
	log   *slog.Logger
	clock ordo.Clock

	// life starts and stops the loop.
	life lifecycle.Loop
}

// New validates cfg and returns a Service. It does not touch storage.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Engine == nil:
		return nil, fmt.Errorf("%w: retention.Config.Engine is required", ordo.ErrInvalidArgument)
	case cfg.Period < 0:
		return nil, fmt.Errorf("%w: retention.Config.Period %s is negative", ordo.ErrInvalidArgument, cfg.Period)
	case cfg.Interval < 0:
		return nil, fmt.Errorf("%w: retention.Config.Interval %s is negative", ordo.ErrInvalidArgument, cfg.Interval)
	case cfg.BatchSize < 0 || cfg.BatchSize > store.MaxPurgeBatch:
		return nil, fmt.Errorf("%w: retention.Config.BatchSize %d is not between 0 and %d", ordo.ErrInvalidArgument,
			cfg.BatchSize, store.MaxPurgeBatch)
	}
	if _, ok := cfg.Engine.Store().(store.PurgeStore); !ok {
		return nil, fmt.Errorf("%w: retention: the store (%T) cannot delete instances", ordo.ErrInvalidArgument, cfg.Engine.Store())
	}
	switch {
	case cfg.PauseRatio == 0:
		cfg.PauseRatio = DefaultPauseRatio
	case cfg.PauseRatio == -1:
		cfg.PauseRatio = 0
	case cfg.PauseRatio < 0:
		return nil, fmt.Errorf("%w: retention.Config.PauseRatio %g is negative (-1: no pause)", ordo.ErrInvalidArgument, cfg.PauseRatio)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, log: cfg.Logger, clock: cfg.Engine.Clock()}, nil
}

// Start runs a pass at once and then one every interval, until Stop.
func (s *Service) Start(ctx context.Context) error {
	return s.life.Start(ctx, "retention: service", s.loop)
}

// Stop ends the loop, cancelling a pass that runs (its batch in flight
// rolls back or commits whole), and waits for it or for ctx. Calling it
// twice, or before Start, is safe.
func (s *Service) Stop(ctx context.Context) error {
	return s.life.Stop(ctx, "retention")
}

func (s *Service) loop(ctx context.Context) {
	for {
		s.RunOnce(ctx)
		t := s.clock.NewTimer(s.interval())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// interval is the time to the next pass (Config.Interval).
func (s *Service) interval() time.Duration {
	if s.cfg.Interval > 0 {
		return s.cfg.Interval
	}
	shortest := time.Duration(0)
	for _, c := range s.classes() {
		if shortest == 0 || c.period < shortest {
			shortest = c.period
		}
	}
	if shortest == 0 {
		return MaxInterval
	}
	return min(MaxInterval, max(MinInterval, shortest/10))
}

// class is the instances one period covers: those of workflows, or of
// every workflow but except.
type class struct {
	period    time.Duration
	workflows []string
	except    []string
}

// classes returns the periods in force: one per distinct period of the
// workflows that have their own, and the default for every other
// workflow. Periods of 0 (forever) have none.
func (s *Service) classes() []class {
	own := s.cfg.Engine.Retentions()
	byPeriod := map[time.Duration][]string{}
	for wf, d := range own {
		if d > 0 {
			byPeriod[d] = append(byPeriod[d], wf)
		}
	}
	var out []class
	for _, d := range slices.Sorted(maps.Keys(byPeriod)) {
		wfs := byPeriod[d]
		slices.Sort(wfs)
		out = append(out, class{period: d, workflows: wfs})
	}
	if s.cfg.Period > 0 {
		out = append(out, class{period: s.cfg.Period, except: slices.Sorted(maps.Keys(own))})
	}
	return out
}

// RunOnce runs one pass now and returns what it did (also given to
// OnPass and logged).
func (s *Service) RunOnce(ctx context.Context) Pass {
	now := s.clock.Now()
	began := time.Now()
	p := Pass{Start: now}
	for _, c := range s.classes() {
		res, err := s.cfg.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: now.Add(-c.period),
			Workflows: c.workflows, ExceptWorkflows: c.except, BatchSize: s.cfg.BatchSize, PauseRatio: s.cfg.PauseRatio})
		if res != nil {
			p.Deleted += res.Deleted
			p.Busy = p.Busy || res.Busy
		}
		if err != nil {
			p.Err = err
			break
		}
		if p.Busy {
			break
		}
	}
	p.Duration = time.Since(began)
	switch {
	case p.Err != nil && ctx.Err() == nil:
		s.log.Warn("retention: pass failed", "deleted", p.Deleted, "err", p.Err)
	case p.Deleted > 0:
		s.log.Info("retention: deleted finished instances", "deleted", p.Deleted, "duration", p.Duration)
	case p.Busy:
		s.log.Debug("retention: another process is deleting; skipped")
	}
	if s.cfg.OnPass != nil {
		s.cfg.OnPass(p)
	}
	return p
}
