package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
)

// engineLimits are the flags of `ordo serve` that bound what one instance
// may cost the engine.
type engineLimits struct {
	maxEvents     int
	maxEventBytes int64
	abandonGrace  time.Duration
}

func (l *engineLimits) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&l.maxEvents, "max-events-per-instance", ordo.DefaultMaxEventsPerInstance,
		"most events one instance accepts, consumed or not; more are refused (409 limit_exceeded); -1: no limit")
	f.Int64Var(&l.maxEventBytes, "max-event-bytes-per-instance", ordo.DefaultMaxEventBytesPerInstance,
		"most bytes the payloads of one instance's events may total; an event past it is refused (409 limit_exceeded); -1: no limit")
	f.DurationVar(&l.abandonGrace, "abandon-grace", ordo.DefaultAbandonGrace,
		"how long a step attempt may take to return after its timeout cancelled it; past it the attempt is abandoned (error kind abandoned, no retry)")
}

// apply sets the limits on an engine configuration.
func (l *engineLimits) apply(cfg *ordo.Config) {
	cfg.MaxEventsPerInstance = l.maxEvents
	cfg.MaxEventBytesPerInstance = l.maxEventBytes
	cfg.AbandonGrace = l.abandonGrace
}
