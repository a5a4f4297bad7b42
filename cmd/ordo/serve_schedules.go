package main

import (
	"context"
	"log/slog"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

// newScheduler returns the scheduler of `ordo serve` with the schedule
// routes registered on srv, or nil when the store keeps no schedules.
func newScheduler(eng *ordo.Engine, srv *api.Server, log *slog.Logger, mt *metrics.Metrics) (*schedule.Scheduler, error) {
	if _, ok := eng.Store().(store.ScheduleStore); !ok {
		log.Warn("ordo: the store keeps no schedules; /v1/schedules is off", "store", eng.Store())
		return nil, nil
	}
	sch, err := schedule.New(schedule.Config{Engine: eng, Logger: log, OnFire: mt.ScheduleFire})
	if err != nil {
		return nil, err
	}
	srv.ScheduleRoutes(sch)
	return sch, nil
}

// startScheduler starts sch's loop (nothing when sch is nil).
func startScheduler(ctx context.Context, sch *schedule.Scheduler) error {
	if sch == nil {
		return nil
	}
	return sch.Start(ctx)
}

// stopScheduler stops sch's loop (nothing when sch is nil).
func stopScheduler(ctx context.Context, sch *schedule.Scheduler, log *slog.Logger) {
	if sch == nil {
		return
	}
	if err := sch.Stop(ctx); err != nil {
		log.Warn("ordo: scheduler stop", "err", err)
	}
}
