package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/internal/bench"
)

func init() {
	register(newBenchCmd)
	register(newBenchWorkerCmd)
}

func newBenchCmd() *cobra.Command {
	var o bench.Options
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine on a fresh database next to the machine's commit baseline",
		Long: `Run N instances of a workload on a fresh SQLite database (WAL, synchronous=FULL) in a
temporary directory, after measuring the baseline on the same settings: single-row INSERT
commits per second from one connection. A summary goes to stderr, one JSON line to stdout.

With --postgres URL the run uses a fresh schema of that database (dropped afterwards) and the
baseline is measured there from 1 and from 8 connections. --workers K starts K worker
processes (ordo bench-worker) on the schema while this process submits; --workers 0 runs the
engine in this process. On PostgreSQL the JSON line also holds, per workflow, the commits of
the database (pg_stat_database), the write transactions, WAL records, bytes and fsyncs
(cluster-wide: pg_stat_wal) and the round trips the run's processes sent.

--preload N fills the fresh database with N finished instances of the workload before the
run, stored in bulk (on PostgreSQL then vacuumed, analysed and checkpointed), to measure a
database that already holds them.

Workloads: ` + strings.Join(bench.Workloads, ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			e := cmd.ErrOrStderr()
			fmt.Fprintf(e, "ordo bench %s: %d instances, %d submitters, %d workers, start %s, %s %s\n",
				r.Workload, r.N, r.Submitters, r.Workers, r.Start, r.Backend, r.Durability)
			fmt.Fprintf(e, "  wall %.2fs  %.0f workflows/s  %.0f steps/s\n", r.WallS, r.WorkflowsPerS, r.StepsPerS)
			fmt.Fprintf(e, "  latency p50 %.1fms p95 %.1fms p99 %.1fms; step gap p50 %.2fms p99 %.2fms\n",
				r.LatencyMS.P50, r.LatencyMS.P95, r.LatencyMS.P99, r.StepGapMS.P50, r.StepGapMS.P99)
			fmt.Fprintf(e, "  baseline %.0f commits/s; normalized cost %.2f; steps/s ÷ baseline %.2f; cpu %.2f ms/workflow\n",
				r.BaselineCommitsPerS, r.NormalizedCost, r.StepsPerSOverBaseline, r.CPUMSPerWorkflow)
			if r.Baseline8CommitsPerS > 0 {
				fmt.Fprintf(e, "  baseline from 8 connections %.0f commits/s; steps/s ÷ that baseline %.2f\n",
					r.Baseline8CommitsPerS, r.StepsPerSOverBaseline8)
			}
			if r.CommitsPerWorkflow > 0 {
				fmt.Fprintf(e, "  per workflow: %.2f commits, %.2f write transactions, %.2f WAL fsyncs, %.1f WAL records, %.0f WAL bytes; %.2f round trips, %.2f statements; %.1f rows read by sequential scans\n",
					r.CommitsPerWorkflow, r.WriteXactsPerWorkflow, r.WALSyncsPerWorkflow, r.WALRecordsPerWorkflow,
					r.WALBytesPerWorkflow, r.RoundTripsPerWorkflow, r.StatementsPerWorkflow, r.SeqRowsPerWorkflow)
			}
			if r.Preload > 0 {
				fmt.Fprintf(e, "  preloaded %d finished instances\n", r.Preload)
			}
			switch {
			case r.PurgeBacklog > 0 && r.PurgeS > 0:
				fmt.Fprintf(e, "  backlog %d finished instances; purge deleted %d (%d while the workload ran) in %.2fs\n",
					r.PurgeBacklog, r.Purged, r.PurgedDuringRun, r.PurgeS)
			case r.PurgeBacklog > 0:
				fmt.Fprintf(e, "  backlog %d finished instances, not deleted\n", r.PurgeBacklog)
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Workload, "workload", "WF3", "workload: "+strings.Join(bench.Workloads, ", "))
	f.IntVar(&o.N, "n", 1000, "number of instances")
	f.IntVar(&o.Submitters, "submitters", 1, "concurrent submitters")
	f.IntVar(&o.Concurrency, "concurrency", 64, "instances the engine runs at once")
	f.StringVar(&o.Version, "code-version", "", "the engines' code version (default: the build's VCS revision)")
	f.StringVar(&o.Start, "start", "inprocess", "start path: inprocess or http")
	f.DurationVar(&o.Baseline, "baseline", 3*time.Second, "how long to measure the baseline")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the workload (first create to last finish) to this file; each worker process to FILE.worker<i>")
	f.IntVar(&o.Preload, "preload", 0, "fill the fresh database with this many finished instances (bulk, through the store) before the run")
	f.StringVar(&o.Postgres, "postgres", "", "PostgreSQL URL: run on a fresh schema of this database instead of SQLite")
	f.IntVar(&o.Workers, "workers", 0, "worker processes (with --postgres); 0 runs the engine in this process")
	f.IntVar(&o.PurgeBacklog, "purge-backlog", 0, "store this many finished instances (WF3-shaped, finished 60 days ago) before the run")
	f.BoolVar(&o.Purge, "purge", false, "with --purge-backlog, delete the backlog (as a 30-day retention would) while the workload runs")
	f.BoolVar(&o.PurgeStop, "purge-stop", false, "with --purge, stop deleting when the workload ends instead of waiting for the whole backlog")
	f.Float64Var(&o.PurgePauseRatio, "purge-pause-ratio", 0, "with --purge, wait this many times a batch's duration after each batch (default 3, as ordo serve's retention; -1: no pause)")
	return cmd
}

// newBenchWorkerCmd is one worker process of `ordo bench --workers K`. It
// runs until its standard input closes.
func newBenchWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "bench-worker",
		Short:              "A worker process of ordo bench --workers (started by ordo bench)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := bench.ParseWorkerArgs(args)
			if err != nil {
				return err
			}
			stop := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, cmd.InOrStdin())
				close(stop)
			}()
			return bench.Worker(cmd.Context(), o, cmd.OutOrStdout(), stop)
		},
	}
}
