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
	stepLimits    []string
}

func (l *engineLimits) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&l.maxEvents, "max-events-per-instance", ordo.DefaultMaxEventsPerInstance,
		"most events one instance accepts, consumed or not; more are refused (409 limit_exceeded); -1: no limit")
	f.Int64Var(&l.maxEventBytes, "max-event-bytes-per-instance", ordo.DefaultMaxEventBytesPerInstance,
		"most bytes the payloads of one instance's events may total; an event past it is refused (409 limit_exceeded); -1: no limit")
	f.DurationVar(&l.abandonGrace, "abandon-grace", ordo.DefaultAbandonGrace,
		"how long a step attempt may take to return after its timeout cancelled it; past it the attempt is abandoned (error kind abandoned, no retry)")
	f.StringArrayVar(&l.stepLimits, "limit", nil,
		"a named step limit that flow steps may name (\"limit\": \"erp\"), shared by every server on the database: "+
			"NAME=N (N at once), NAME=N/s (N starts a second; /m, /h or /500ms too) or NAME=N,M/s; repeat for more (at most 100)")
}

// apply sets the limits on an engine configuration; an invalid --limit is
// an error.
func (l *engineLimits) apply(cfg *ordo.Config) error {
	cfg.MaxEventsPerInstance = l.maxEvents
	cfg.MaxEventBytesPerInstance = l.maxEventBytes
	cfg.AbandonGrace = l.abandonGrace
	limits, err := parseStepLimits(l.stepLimits)
	if err != nil {
		return err
	}
	cfg.Limits = limits
	return nil
}
