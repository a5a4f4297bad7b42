package bench_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ordohq/ordo/internal/bench"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestMain runs a worker process when the test binary is re-executed as
// one (what `ordo bench-worker` does in the ordo binary).
func TestMain(m *testing.M) {
	if os.Getenv("ORDO_BENCH_WORKER") == "1" {
		o, err := bench.ParseWorkerArgs(os.Args[2:]) // after the binary and -test.run
		if err == nil {
			stop := make(chan struct{})
			go func() {
				buf := make([]byte, 1)
				for {
					if _, err := os.Stdin.Read(buf); err != nil {
						close(stop)
						return
					}
				}
			}()
			err = bench.Worker(context.Background(), o, os.Stdout, stop)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunPostgresWorkers runs a small benchmark on PostgreSQL with two
// worker processes and checks the result is complete and consistent.
func TestRunPostgresWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	url := pgtest.URL(t)
	for _, workers := range []int{0, 2} {
		r, err := bench.Run(t.Context(), bench.Options{
			Postgres: url, N: 40, Submitters: 4, Workers: workers, Baseline: 100 * time.Millisecond,
			WorkerCommand: func(args []string) *exec.Cmd {
				cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
				cmd.Env = append(os.Environ(), "ORDO_BENCH_WORKER=1")
				return cmd
			},
		})
		if err != nil {
			t.Fatalf("Run with %d workers: %v", workers, err)
		}
		if r.Backend != "postgres" || r.N != 40 || r.Workers != max(workers, 1) || r.WorkflowsPerS <= 0 || r.RoundTripsPerWorkflow < 0.5 ||
			r.BaselineCommitsPerS <= 0 || r.Baseline8CommitsPerS <= 0 || r.NormalizedCost <= 0 || r.LatencyMS.P50 <= 0 {
			t.Errorf("Run with %d workers = %+v", workers, r)
		}
	}
	if _, err := bench.Run(t.Context(), bench.Options{Workers: 2}); err == nil {
		t.Error("--workers without --postgres accepted")
	}
}
