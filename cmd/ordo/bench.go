package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/internal/bench"
)

func init() { register(newBenchCmd) }

func newBenchCmd() *cobra.Command {
	var o bench.Options
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine on a fresh SQLite database next to the machine's commit baseline",
		Long: `Run N instances of a workload on a fresh SQLite database (WAL, synchronous=FULL) in a
temporary directory, after measuring the baseline on the same settings: single-row INSERT
commits per second from one connection. A summary goes to stderr, one JSON line to stdout.

Workloads: ` + strings.Join(bench.Workloads, ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			r, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			e := cmd.ErrOrStderr()
			fmt.Fprintf(e, "ordo bench %s: %d instances, %d submitters, start %s, sqlite FULL\n", r.Workload, r.N, r.Submitters, r.Start)
			fmt.Fprintf(e, "  wall %.2fs  %.0f workflows/s  %.0f steps/s\n", r.WallS, r.WorkflowsPerS, r.StepsPerS)
			fmt.Fprintf(e, "  latency p50 %.1fms p95 %.1fms p99 %.1fms; step gap p50 %.2fms p99 %.2fms\n",
				r.LatencyMS.P50, r.LatencyMS.P95, r.LatencyMS.P99, r.StepGapMS.P50, r.StepGapMS.P99)
			fmt.Fprintf(e, "  baseline %.0f commits/s; normalized cost %.2f; steps/s ÷ baseline %.2f; cpu %.2f ms/workflow\n",
				r.BaselineCommitsPerS, r.NormalizedCost, r.StepsPerSOverBaseline, r.CPUMSPerWorkflow)
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
	f.StringVar(&o.Start, "start", "inprocess", "start path: inprocess or http")
	f.DurationVar(&o.Baseline, "baseline", 3*time.Second, "how long to measure the baseline")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	return cmd
}
