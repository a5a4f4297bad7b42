package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/retention"
)

// defaultRetention is --retention's default.
const defaultRetention = "30d"

// retentionFlag adds --retention to cmd.
func retentionFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "retention", defaultRetention,
		"how long finished instances and orders are kept after they finished, then deleted with their steps, events and production files: days, hours or minutes (30d, 12h, 90m, 1d12h), or 0 to keep them forever; a workflow (WithRetention) or a flow (\"retention\") may keep its own")
}

// newRetention returns the retention service of `ordo serve` for the
// --retention value, its passes counted in mt.
func newRetention(eng *ordo.Engine, period string, log *slog.Logger, mt *metrics.Metrics) (*retention.Service, error) {
	d, err := retention.ParsePeriod(period)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--retention: %s", ordo.Message(err))}
	}
	svc, err := retention.New(retention.Config{Engine: eng, Period: d, Logger: log, OnPass: mt.RetentionPass})
	if err != nil {
		return nil, err
	}
	if d == 0 {
		log.Info("ordo: finished instances are kept forever (--retention 0), but for workflows and flows with a retention of their own")
	} else {
		log.Info("ordo: finished instances are deleted after the retention period", "retention", period)
	}
	return svc, nil
}

// stopRetention stops svc, logging a failure.
func stopRetention(ctx context.Context, svc *retention.Service, log *slog.Logger) {
	if err := svc.Stop(ctx); err != nil {
		log.Warn("ordo: retention stop", "err", err)
	}
}
