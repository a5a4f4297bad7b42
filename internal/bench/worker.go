package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/postgres"
)

// WorkerOptions configure Worker, one worker process of a multi-process
// PostgreSQL run.
type WorkerOptions struct {
	Postgres    string // database URL; required
	Schema      string // the run's schema; required
	Workload    string // default WF3
	Concurrency int    // engine concurrency; default 64
	Version     string // the engine's code version (ordo.Config.Version); default the build's
	CPUProfile  string // file to write a CPU profile of the worker's run to; default none
	Logger      *slog.Logger
}

// workerArgs encodes o as the arguments ParseWorkerArgs reads.
func workerArgs(o WorkerOptions) []string {
	return []string{"--postgres", o.Postgres, "--schema", o.Schema, "--workload", o.Workload,
		"--concurrency", fmt.Sprint(o.Concurrency), "--code-version", o.Version, "--cpuprofile", o.CPUProfile}
}

// ParseWorkerArgs reads the arguments Run gives a worker process.
func ParseWorkerArgs(args []string) (WorkerOptions, error) {
	var o WorkerOptions
	fs := flag.NewFlagSet("bench-worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Postgres, "postgres", "", "")
	fs.StringVar(&o.Schema, "schema", "", "")
	fs.StringVar(&o.Workload, "workload", "WF3", "")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "")
	fs.StringVar(&o.Version, "code-version", "", "")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("bench-worker: %w", err)
	}
	if o.Postgres == "" || o.Schema == "" {
		return o, errors.New("bench-worker: --postgres and --schema are required")
	}
	return o, nil
}

// readyLine is what a worker prints on its stdout once its engine runs.
const readyLine = "ordo bench-worker ready"

// tripsLine starts what a worker prints on its stdout when it stopped:
// the round trips and statements it sent PostgreSQL.
const tripsLine = "ordo bench-worker round-trips"

// parseTrips reads a tripsLine.
func parseTrips(line string) (trips, statements int64, ok bool) {
	n, err := fmt.Sscanf(strings.TrimSpace(line), tripsLine+" %d statements %d", &trips, &statements)
	return trips, statements, err == nil && n == 2
}

// Worker runs an engine on the run's schema until stop is closed (the
// parent closes the worker's standard input), then stops it gracefully.
// It writes readyLine to ready once the engine has started, and a
// tripsLine once it stopped.
func Worker(ctx context.Context, o WorkerOptions, ready io.Writer, stop <-chan struct{}) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	wf, err := workflow(o.Workload)
	if err != nil {
		return err
	}
	trips := &roundTrips{}
	st, err := postgres.Open(ctx, o.Postgres, &postgres.Options{Schema: o.Schema, MaxConns: 8, Logger: o.Logger, Tracer: trips})
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() {
		t, n := trips.counts()
		fmt.Fprintf(ready, "%s %d statements %d\n", tripsLine, t, n)
	}()
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Concurrency: o.Concurrency, Logger: o.Logger, PollInterval: 100 * time.Millisecond,
		Version: o.Version})
	if err != nil {
		return err
	}
	if err := e.Register(wf); err != nil {
		return err
	}
	if err := e.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintln(ready, readyLine)
	select {
	case <-stop:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return e.Stop(sctx)
}

// isReady reports whether a worker's output line says it is ready.
func isReady(line string) bool { return strings.TrimSpace(line) == readyLine }
