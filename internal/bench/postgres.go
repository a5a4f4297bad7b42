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
	st, err := postgres.Open(ctx, o.Postgres, &postgres.Options{Schema: schema, MaxConns: 16, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, _ = st.Pool().Exec(cctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	}()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	durability, err := st.Durability(ctx)
	if err != nil {
		return nil, err
	}

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
		wo := WorkerOptions{Postgres: o.Postgres, Schema: schema, Workload: o.Workload, Concurrency: o.Concurrency,
			Version: o.Version}
		if workers, err = startWorkers(ctx, o, wo); err != nil {
			return nil, err
		}
		defer workers.stop()
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = engine.Stop(sctx)
	}()

	purge, err := beginBacklog(ctx, st, &o)
	if err != nil {
		return nil, err
	}
	cpu0 := cpuTime()
	t0 := time.Now()
	if err := submit(ctx, o.N, o.Submitters, create); err != nil {
		return nil, err
	}
	if o.Workers == 0 {
		select {
		case <-allDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if err := waitFinished(ctx, st); err != nil {
		return nil, err
	}
	// The wall time ends at the last stored finish: exact, whatever the
	// polling interval.
	var last time.Time
	if err := st.Pool().QueryRow(ctx, `SELECT max(finished_at) FROM instances`).Scan(&last); err != nil {
		return nil, err
	}
	wall := last.Sub(t0)
	cpu := cpuTime() - cpu0
	purgedDuringRun := purge.deletedNow()
	if workers != nil {
		cpu += workers.stop()
	}

	lat, gaps, err := latencies(ctx, st, wf.Name())
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
	}
	r.StepGapMS.P95 = 0
	r.NormalizedCost = baseline / r.WorkflowsPerS
	r.StepsPerSOverBaseline = r.StepsPerS / baseline
	r.StepsPerSOverBaseline8 = r.StepsPerS / baseline8
	if err := purge.finish(r, purgedDuringRun, o.PurgeBacklog, o.PurgeStop); err != nil {
		return nil, err
	}
	return r, nil
}

// waitFinished polls, every 100 ms, how many instances are unfinished
// until none is: one cheap query, whatever the number of instances.
func waitFinished(ctx context.Context, st *postgres.Store) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		var open int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM instances
			WHERE status IN ('queued', 'running', 'waiting', 'paused')`).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// workerGroup is the worker processes of a run.
type workerGroup struct {
	cmds    []*exec.Cmd
	stdins  []io.Closer
	stopped bool
	cpu     time.Duration
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
	for range o.Workers {
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
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if isReady(sc.Text()) {
					ready <- nil
					_, _ = io.Copy(io.Discard, stdout)
					return
				}
			}
			ready <- fmt.Errorf("worker exited before it was ready")
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
	for _, cmd := range g.cmds {
		_ = cmd.Wait()
		if ps := cmd.ProcessState; ps != nil {
			g.cpu += ps.UserTime() + ps.SystemTime()
		}
	}
	return g.cpu
}
