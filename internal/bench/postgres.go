package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/postgres"
)

// runPostgres is Run on PostgreSQL: the baselines from 1 and 8
// connections, then the workload in a fresh schema, run by an engine in
// this process (Workers 0) or by Workers worker processes while this
// process submits.
//
// The database is filled (Options.Preload) by a store of its own, closed
// before the run; the run's processes connect under an application name
// of their own and are closed before the counters are read again, since
// a session flushes its statistics when it ends.
func runPostgres(ctx context.Context, o Options, wf *ordo.Workflow[input, output]) (*Result, error) {
	baseline, err := postgres.MeasureInsertBaseline(ctx, o.Postgres, 1, o.Baseline)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	baseline8, err := postgres.MeasureInsertBaseline(ctx, o.Postgres, 8, o.Baseline)
	if err != nil {
		return nil, fmt.Errorf("baseline from 8 connections: %w", err)
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	schema := "ordo_bench_" + hex.EncodeToString(suffix[:])
	stats, err := pgx.Connect(ctx, o.Postgres)
	if err != nil {
		return nil, err
	}
	defer stats.Close(context.WithoutCancel(ctx))
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, _ = stats.Exec(cctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	}()
	durability, err := setupPostgres(ctx, &o, schema, wf.Name(), stats)
	if err != nil {
		return nil, err
	}

	runURL, err := withAppName(o.Postgres, schema)
	if err != nil {
		return nil, err
	}
	before, err := readPGCounters(ctx, stats, schema)
	if err != nil {
		return nil, err
	}
	trips := &roundTrips{}
	st, err := postgres.Open(ctx, runURL, &postgres.Options{Schema: schema, MaxConns: 16, Logger: o.Logger, Tracer: trips})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var finished atomic.Int64
	allDone := make(chan struct{})
	cfg := ordo.Config{Store: st, Concurrency: o.Concurrency, Logger: o.Logger, PollInterval: 100 * time.Millisecond,
		Version: o.Version}
	if o.Workers == 0 {
		cfg.OnFinish = func(string, ordo.Status) {
			if finished.Add(1) == int64(o.N) {
				close(allDone)
			}
		}
	}
	engine, err := ordo.NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	stopEngine := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = engine.Stop(sctx)
	}
	defer stopEngine()
	if err := engine.Register(wf); err != nil {
		return nil, err
	}
	create, stopHTTP, err := creator(ctx, st, engine, wf, o.Start)
	if err != nil {
		return nil, err
	}
	defer stopHTTP()
	var workers *workerGroup
	if o.Workers == 0 {
		if err := engine.Start(ctx); err != nil {
			return nil, err
		}
	} else {
		// The submitting engine is not started: it creates instances
		// unclaimed and the workers, woken by NOTIFY, claim them.
		wo := WorkerOptions{Postgres: runURL, Schema: schema, Workload: o.Workload, Concurrency: o.Concurrency,
			Version: o.Version}
		if workers, err = startWorkers(ctx, o, wo); err != nil {
			return nil, err
		}
		defer workers.stop()
	}

	purge, err := beginPurge(ctx, st, &o)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	cpu0 := cpuTime()
	t0 := time.Now()
	if err := submit(ctx, o.N, o.Submitters, create); err != nil {
		return nil, err
	}
	harness := int64(1) // the max(finished_at) below
	if o.Workers == 0 {
		select {
		case <-allDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else {
		polls, err := waitFinished(ctx, st)
		if err != nil {
			return nil, err
		}
		harness += polls
	}
	// The wall time ends at the last stored finish: exact, whatever the
	// polling interval.
	var last time.Time
	if err := st.Pool().QueryRow(ctx, `SELECT max(finished_at) FROM instances`).Scan(&last); err != nil {
		return nil, err
	}
	wall := last.Sub(t0)
	cpu := cpuTime() - cpu0
	stopProfile()
	purgedDuringRun := purge.deletedNow()
	stopHTTP()
	stopEngine()
	var workerTrips, workerStatements int64
	if workers != nil {
		cpu += workers.stop()
		workerTrips, workerStatements = workers.trips, workers.statements
	}
	// The purge ends (or is stopped) before the counters are read, so
	// they hold its deletions.
	if err := purge.finish(nil, 0, 0, o.PurgeStop); err != nil {
		return nil, err
	}
	trip, statements := trips.counts()
	st.Close()
	if err := waitGone(ctx, stats, schema); err != nil {
		return nil, err
	}
	after, err := readPGCounters(ctx, stats, schema)
	if err != nil {
		return nil, err
	}

	read, err := postgres.Open(ctx, o.Postgres, &postgres.Options{Schema: schema, MaxConns: 4, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer read.Close()
	lat, gaps, err := latencies(ctx, read, wf.Name(), t0)
	if err != nil {
		return nil, err
	}
	steps := o.N * stepsPer(o.Workload)
	r := &Result{
		Engine: "ordo", Commit: commit(), Backend: "postgres", Durability: "sync_" + durability, Workload: o.Workload,
		Start: o.Start, N: o.N, Submitters: o.Submitters, Workers: max(o.Workers, 1),
		WallS:                wall.Seconds(),
		WorkflowsPerS:        float64(o.N) / wall.Seconds(),
		StepsPerS:            float64(steps) / wall.Seconds(),
		LatencyMS:            percentiles(lat),
		StepGapMS:            percentiles(gaps),
		BaselineCommitsPerS:  baseline,
		Baseline8CommitsPerS: baseline8,
		CPUMSPerWorkflow:     float64(cpu.Milliseconds()) / float64(o.N),
		Preload:              o.Preload,
	}
	r.StepGapMS.P95 = 0
	r.NormalizedCost = baseline / r.WorkflowsPerS
	r.StepsPerSOverBaseline = r.StepsPerS / baseline
	r.StepsPerSOverBaseline8 = r.StepsPerS / baseline8
	after.perWorkflow(before, harness, o.N, r)
	r.RoundTripsPerWorkflow = float64(trip-harness+workerTrips) / float64(o.N)
	r.StatementsPerWorkflow = float64(statements-harness+workerStatements) / float64(o.N)
	if err := purge.finish(r, purgedDuringRun, o.PurgeBacklog, o.PurgeStop); err != nil {
		return nil, err
	}
	return r, nil
}

// setupPostgres creates and migrates the schema and fills it
// (Options.Preload, Options.PurgeBacklog) through a store of its own,
// then vacuums, analyses and checkpoints a preloaded database, closes the store and
// waits for its sessions to end. It returns the server's
// synchronous_commit.
func setupPostgres(ctx context.Context, o *Options, schema, workflow string, stats *pgx.Conn) (string, error) {
	app := schema + "_setup"
	url, err := withAppName(o.Postgres, app)
	if err != nil {
		return "", err
	}
	st, err := postgres.Open(ctx, url, &postgres.Options{Schema: schema, MaxConns: 8, Logger: o.Logger})
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return "", err
	}
	durability, err := st.Durability(ctx)
	if err != nil {
		return "", err
	}
	if err := fill(ctx, st, o, workflow, 4); err != nil {
		return "", err
	}
	if o.Preload > 0 {
		if _, err := st.Pool().Exec(ctx, `VACUUM (ANALYZE) instances, steps, attempts`); err != nil {
			return "", fmt.Errorf("preload: %w", err)
		}
		// The bulk load leaves gigabytes of WAL and dirty buffers that
		// checkpoints would otherwise write back during the run (seen:
		// four checkpoints in 45 s, one of them 18 s long, beside a run
		// with one submitter). A database that has held its instances
		// for a while has none of that.
		if _, err := st.Pool().Exec(ctx, `CHECKPOINT`); err != nil {
			o.Logger.Warn("bench: checkpoint after the preload failed; the run may pay for its write-back", "err", err)
		}
	}
	st.Close()
	return durability, waitGone(ctx, stats, app)
}

// waitFinished polls, every 100 ms, how many instances are unfinished
// until none is: one cheap query, whatever the number of instances. It
// returns how many queries it made.
func waitFinished(ctx context.Context, st *postgres.Store) (int64, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for polls := int64(1); ; polls++ {
		var open int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM instances
			WHERE status IN ('queued', 'running', 'waiting', 'paused')`).Scan(&open); err != nil {
			return polls, err
		}
		if open == 0 {
			return polls, nil
		}
		select {
		case <-ctx.Done():
			return polls, ctx.Err()
		case <-t.C:
		}
	}
}

// workerGroup is the worker processes of a run.
type workerGroup struct {
	cmds    []*exec.Cmd
	stdins  []io.Closer
	read    []chan struct{} // closed when a worker's stdout is read to its end
	stopped bool
	cpu     time.Duration

	mu                sync.Mutex
	trips, statements int64 // what the workers reported when they stopped
}

// startWorkers starts o.Workers worker processes and waits until each
// reports that its engine runs.
func startWorkers(ctx context.Context, o Options, wo WorkerOptions) (*workerGroup, error) {
	command := o.WorkerCommand
	if command == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		command = func(args []string) *exec.Cmd { return exec.Command(exe, append([]string{"bench-worker"}, args...)...) }
	}
	g := &workerGroup{}
	ready := make(chan error, o.Workers)
	for i := range o.Workers {
		wo := wo
		if o.CPUProfile != "" {
			wo.CPUProfile = fmt.Sprintf("%s.worker%d", o.CPUProfile, i)
		}
		cmd := command(workerArgs(wo))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			g.stop()
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			g.stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			g.stop()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		g.cmds = append(g.cmds, cmd)
		g.stdins = append(g.stdins, stdin)
		read := make(chan struct{})
		g.read = append(g.read, read)
		go func() {
			defer close(read)
			isUp := false
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if !isUp && isReady(sc.Text()) {
					isUp = true
					ready <- nil
				}
				if trips, statements, ok := parseTrips(sc.Text()); ok {
					g.mu.Lock()
					g.trips += trips
					g.statements += statements
					g.mu.Unlock()
				}
			}
			if !isUp {
				ready <- fmt.Errorf("worker exited before it was ready")
			}
		}()
	}
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for range o.Workers {
		select {
		case err := <-ready:
			if err != nil {
				g.stop()
				return nil, err
			}
		case <-timeout.C:
			g.stop()
			return nil, fmt.Errorf("workers not ready after a minute")
		case <-ctx.Done():
			g.stop()
			return nil, ctx.Err()
		}
	}
	return g, nil
}

// stop closes the workers' standard input (they stop gracefully), waits
// for them and returns the CPU time they used. Calling it again returns
// the same.
func (g *workerGroup) stop() time.Duration {
	if g.stopped {
		return g.cpu
	}
	g.stopped = true
	for _, in := range g.stdins {
		_ = in.Close()
	}
	for i, cmd := range g.cmds {
		<-g.read[i]
		_ = cmd.Wait()
		if ps := cmd.ProcessState; ps != nil {
			g.cpu += ps.UserTime() + ps.SystemTime()
		}
	}
	return g.cpu
}
