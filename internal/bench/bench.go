package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/retention"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// Options configure Run.
type Options struct {
	Workload    string        // default WF3
	N           int           // instances; default 1000
	Submitters  int           // concurrent creators; default 1
	Concurrency int           // engine concurrency; default 64
	Version     string        // the engines' code version (ordo.Config.Version); default the build's
	Start       string        // "inprocess" (default) or "http"
	Dir         string        // scratch directory; default a new temp dir, removed after
	Baseline    time.Duration // baseline measurement length; default 3 s
	Logger      *slog.Logger  // default: discard

	// Postgres, if set, runs on PostgreSQL at this URL instead of SQLite:
	// in a fresh schema of that database, dropped afterwards.
	Postgres string
	// Workers is the number of worker processes (PostgreSQL only): each
	// runs an engine on the shared schema while this process submits. 0
	// runs the engine in this process, as with SQLite. Default 0.
	Workers int
	// WorkerCommand returns the command that starts one worker process
	// with args (see Worker and ParseWorkerArgs). Default: this executable
	// with "bench-worker" before args, as the ordo binary offers.
	WorkerCommand func(args []string) *exec.Cmd

	// PurgeBacklog, if positive, stores this many finished instances
	// (WF3-shaped, finished 60 days ago) before the run starts.
	PurgeBacklog int
	// Purge deletes the backlog, as a 30-day retention would, while the
	// workload runs; the result says how long it took.
	Purge bool
	// PurgePauseRatio paces the purge (ordo.PurgeOptions.PauseRatio).
	// Default retention.DefaultPauseRatio, as ordo serve; -1: no pause.
	PurgePauseRatio float64
	// PurgeStop stops the purge when the workload ends instead of
	// waiting for it to delete the whole backlog.
	PurgeStop bool

	// Preload, if positive, fills the fresh database with this many
	// finished instances of the workload's workflow before the run
	// (WF3-shaped, created over the 30 days before, with time-ordered
	// IDs), stored in bulk through Store.Commit, not by running them; on
	// PostgreSQL the tables are then vacuumed and analysed, as autovacuum
	// would have, and checkpointed. The run's figures leave them out.
	// Default 0.
	Preload int
	// CPUProfile, if set, is the file a CPU profile of the workload (from
	// the first create to the last finish) is written to; with Workers,
	// each worker process writes its own to CPUProfile.worker<i>.
	CPUProfile string
}

// Latency is a set of percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95,omitempty"`
	P99 float64 `json:"p99"`
}

// Result is one run, in the shared output format.
type Result struct {
	Engine                string  `json:"engine"`
	Commit                string  `json:"commit"`
	Backend               string  `json:"backend"`
	Durability            string  `json:"durability"`
	Workload              string  `json:"workload"`
	Start                 string  `json:"start"`
	N                     int     `json:"n"`
	Submitters            int     `json:"submitters"`
	Workers               int     `json:"workers"`
	WallS                 float64 `json:"wall_s"`
	WorkflowsPerS         float64 `json:"workflows_per_s"`
	StepsPerS             float64 `json:"steps_per_s"`
	LatencyMS             Latency `json:"latency_ms"`
	StepGapMS             Latency `json:"step_gap_ms"`
	BaselineCommitsPerS   float64 `json:"baseline_commits_per_s"`
	NormalizedCost        float64 `json:"normalized_cost"`
	CPUMSPerWorkflow      float64 `json:"cpu_ms_per_workflow"`
	StepsPerSOverBaseline float64 `json:"steps_per_s_over_baseline"`
	// Baseline8CommitsPerS is the PostgreSQL baseline from 8 connections
	// at once (0 for SQLite, which has one writer); StepsPerSOverBaseline8
	// divides steps/s by it.
	Baseline8CommitsPerS   float64 `json:"baseline8_commits_per_s,omitempty"`
	StepsPerSOverBaseline8 float64 `json:"steps_per_s_over_baseline8,omitempty"`
	// PurgeBacklog is Options.PurgeBacklog; with Options.Purge, Purged is
	// how many instances the purge deleted, PurgedDuringRun how many of
	// them by the time the workload's last instance finished, and PurgeS
	// how long the whole deletion took.
	PurgeBacklog    int     `json:"purge_backlog,omitempty"`
	Purged          int     `json:"purged,omitempty"`
	PurgedDuringRun int     `json:"purged_during_run,omitempty"`
	PurgeS          float64 `json:"purge_s,omitempty"`
	// Preload is Options.Preload: the finished instances the database
	// held before the run.
	Preload int `json:"preload,omitempty"`

	// PostgreSQL's figures per workflow of the run (engine start to stop,
	// the bench's own queries left out): commits of the run's database
	// (pg_stat_database.xact_commit, read-only transactions included),
	// transaction IDs handed out (write transactions; cluster-wide, as
	// are the WAL figures), WAL records, bytes and fsyncs (pg_stat_wal),
	// the rows sequential scans read from the run's tables
	// (pg_stat_user_tables: not 0 means a plan scans a table), and the
	// round trips and statements the run's processes sent.
	CommitsPerWorkflow    float64 `json:"commits_per_workflow,omitempty"`
	WriteXactsPerWorkflow float64 `json:"write_xacts_per_workflow,omitempty"`
	WALRecordsPerWorkflow float64 `json:"wal_records_per_workflow,omitempty"`
	WALBytesPerWorkflow   float64 `json:"wal_bytes_per_workflow,omitempty"`
	WALSyncsPerWorkflow   float64 `json:"wal_syncs_per_workflow,omitempty"`
	SeqRowsPerWorkflow    float64 `json:"seq_rows_read_per_workflow,omitempty"`
	RoundTripsPerWorkflow float64 `json:"round_trips_per_workflow,omitempty"`
	StatementsPerWorkflow float64 `json:"statements_per_workflow,omitempty"`
	// InstanceUpdatesPerWorkflow counts the row updates of the instances
	// table, InstanceHOTShare the share of them that were HOT (wrote no
	// index entry): each other one writes an entry into every index.
	InstanceUpdatesPerWorkflow float64 `json:"instance_updates_per_workflow,omitempty"`
	InstanceHOTShare           float64 `json:"instance_hot_update_share,omitempty"`
}

func (o *Options) defaults() error {
	if o.Workload == "" {
		o.Workload = "WF3"
	}
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Submitters <= 0 {
		o.Submitters = 1
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Start == "" {
		o.Start = "inprocess"
	}
	if o.Start != "inprocess" && o.Start != "http" {
		return fmt.Errorf("--start must be inprocess or http, got %q", o.Start)
	}
	if o.Baseline <= 0 {
		o.Baseline = 3 * time.Second
	}
	if o.Workers < 0 {
		return fmt.Errorf("--workers must not be negative, got %d", o.Workers)
	}
	if o.Purge && o.PurgeBacklog <= 0 {
		return fmt.Errorf("--purge needs --purge-backlog N: the finished instances to delete")
	}
	if o.Preload < 0 {
		return fmt.Errorf("--preload must not be negative, got %d", o.Preload)
	}
	if o.Workers > 0 && o.Postgres == "" {
		return fmt.Errorf("--workers %d needs --postgres: SQLite serves one process", o.Workers)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.PurgePauseRatio == 0:
		o.PurgePauseRatio = retention.DefaultPauseRatio
	case o.PurgePauseRatio == -1:
		o.PurgePauseRatio = 0
	case o.PurgePauseRatio < 0:
		return fmt.Errorf("--purge-pause-ratio must be positive or -1 (no pause), got %g", o.PurgePauseRatio)
	}
	return nil
}

// Run measures the baseline, then runs the workload on a fresh database.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	wf, err := workflow(o.Workload)
	if err != nil {
		return nil, err
	}
	if o.Postgres != "" {
		return runPostgres(ctx, o, wf)
	}
	st, baseline, cleanup, err := openSQLite(ctx, o.Dir, o.Baseline)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := fill(ctx, st, &o, wf.Name(), 1); err != nil {
		return nil, err
	}
	var finished atomic.Int64
	allDone := make(chan struct{})
	engine, err := ordo.NewEngine(ordo.Config{
		Store: st, Concurrency: o.Concurrency, Logger: o.Logger, PollInterval: 100 * time.Millisecond, Version: o.Version,
		OnFinish: func(string, ordo.Status) {
			if finished.Add(1) == int64(o.N) {
				close(allDone)
			}
		},
	})
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
	if err := engine.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = engine.Stop(sctx)
	}()
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
	select {
	case <-allDone:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	wall := time.Since(t0)
	cpu := cpuTime() - cpu0
	stopProfile()
	purgedDuringRun := purge.deletedNow()

	lat, gaps, err := latencies(ctx, st, wf.Name(), t0)
	if err != nil {
		return nil, err
	}
	steps := o.N * stepsPer(o.Workload)
	r := &Result{
		Engine: "ordo", Commit: commit(), Backend: "sqlite", Durability: "FULL", Workload: o.Workload,
		Start: o.Start, N: o.N, Submitters: o.Submitters, Workers: 1,
		WallS:               wall.Seconds(),
		WorkflowsPerS:       float64(o.N) / wall.Seconds(),
		StepsPerS:           float64(steps) / wall.Seconds(),
		LatencyMS:           percentiles(lat),
		StepGapMS:           percentiles(gaps),
		BaselineCommitsPerS: baseline,
		CPUMSPerWorkflow:    float64(cpu.Milliseconds()) / float64(o.N),
	}
	r.StepGapMS.P95 = 0
	r.NormalizedCost = baseline / r.WorkflowsPerS
	r.StepsPerSOverBaseline = r.StepsPerS / baseline
	r.Preload = o.Preload
	if err := purge.finish(r, purgedDuringRun, o.PurgeBacklog, o.PurgeStop); err != nil {
		return nil, err
	}
	return r, nil
}

// fill stores what the database holds before the run: Options.Preload
// finished instances of workflow and the purge backlog, from parallel
// goroutines.
func fill(ctx context.Context, st store.Store, o *Options, workflow string, parallel int) error {
	if o.Preload > 0 {
		t0 := time.Now()
		if err := storeFinished(ctx, st, preloadSet(o.Preload, workflow, t0), parallel); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		o.Logger.Info("bench: preloaded", "instances", o.Preload, "took", time.Since(t0))
	}
	if o.PurgeBacklog > 0 {
		t0 := time.Now()
		if err := seedBacklog(ctx, st, o.PurgeBacklog); err != nil {
			return err
		}
		o.Logger.Info("bench: backlog stored", "instances", o.PurgeBacklog, "took", time.Since(t0))
	}
	return nil
}

// startProfile starts a CPU profile into the file path ("": none). The
// function it returns stops it; calling that again does nothing.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}, nil
}

// openSQLite measures the baseline for d in dir (a new temporary
// directory when ""), then opens and migrates a fresh SQLite store there.
// cleanup closes it and removes the temporary directory.
func openSQLite(ctx context.Context, dir string, d time.Duration) (st *sqlite.Store, baseline float64, cleanup func(), err error) {
	removeDir := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ordo-bench-*")
		if err != nil {
			return nil, 0, nil, err
		}
		removeDir = func() { os.RemoveAll(tmp) }
		dir = tmp
	}
	if baseline, err = sqlite.MeasureInsertBaseline(ctx, filepath.Join(dir, "baseline"), d); err != nil {
		removeDir()
		return nil, 0, nil, fmt.Errorf("baseline: %w", err)
	}
	if st, err = sqlite.Open(ctx, filepath.Join(dir, "bench.db"), nil); err != nil {
		removeDir()
		return nil, 0, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		removeDir()
		return nil, 0, nil, err
	}
	return st, baseline, func() { st.Close(); removeDir() }, nil
}

// submit creates instances 0..n-1 from submitters goroutines at once.
func submit(ctx context.Context, n, submitters int, create func(context.Context, int) error) error {
	var wg sync.WaitGroup
	errc := make(chan error, submitters)
	next := atomic.Int64{}
	for range submitters {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := create(ctx, i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// creator returns the function that creates instance i by the chosen path.
// The HTTP path runs the API as `ordo serve` does in production: an
// operate key stored in st, checked on every request, the Host allow-list,
// cross-origin protection and the audit log.
func creator(ctx context.Context, st store.Store, e *ordo.Engine, wf *ordo.Workflow[input, output], start string) (func(context.Context, int) error, func(), error) {
	if start == "inprocess" {
		return func(ctx context.Context, i int) error {
			_, err := wf.Create(ctx, e, input{N: i, Payload: filler}, nil)
			return err
		}, func() {}, nil
	}
	base, key, stop, err := serveAPI(ctx, st, e)
	if err != nil {
		return nil, nil, err
	}
	url := base + "/v1/workflows/" + wf.Name() + "/instances"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	create := func(ctx context.Context, i int) error {
		return post(ctx, client, url, key, map[string]any{"params": input{N: i, Payload: filler}}, http.StatusCreated)
	}
	return create, stop, nil
}

// serveAPI serves the API of e on 127.0.0.1 as `ordo serve` does in
// production: an operate key stored in st, checked on every request, the
// Host allow-list, cross-origin protection and the audit log. It returns
// the base URL, the key and the function that stops the server.
func serveAPI(ctx context.Context, st store.Store, e *ordo.Engine) (base, key string, stop func(), err error) {
	log := slog.New(slog.DiscardHandler)
	ks, ok := st.(store.KeyStore)
	if !ok {
		return "", "", nil, fmt.Errorf("the %T store keeps no API keys", st)
	}
	authn, err := auth.New(auth.Config{Store: ks, Logger: log})
	if err != nil {
		return "", "", nil, err
	}
	key, _, err = authn.CreateKey(ctx, "bench", auth.ScopeOperate, "")
	if err != nil {
		return "", "", nil, err
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log, Auth: authn, Audit: ks,
		AllowedHosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		return "", "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, err
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), key, func() {
		_ = hs.Close()
		_ = srv.Close(context.Background())
	}, nil
}

// post sends v as JSON to url with the key and checks the answer's status.
func post(ctx context.Context, client *http.Client, url, key string, v any, want int) error {
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

// latencies reads created→finished per instance of workflow created at or
// after since and the gaps between consecutive steps from storage, after
// the run.
func latencies(ctx context.Context, st store.Store, workflow string, since time.Time) (lat, gaps []time.Duration, err error) {
	cursor := ""
	for {
		page, err := st.InstanceList(ctx, &store.InstanceListParams{Workflow: workflow, Limit: 1000, Cursor: cursor,
			CreatedAfter: since})
		if err != nil {
			return nil, nil, err
		}
		for _, in := range page.Instances {
			if in.FinishedAt != nil {
				lat = append(lat, in.FinishedAt.Sub(in.CreatedAt))
			}
			if len(gaps) < 20000 {
				j, err := st.JournalLoad(ctx, in.ID)
				if err != nil {
					return nil, nil, err
				}
				for i := 1; i < len(j.Steps); i++ {
					prev, cur := j.Steps[i-1], j.Steps[i]
					if prev.FinishedAt != nil && prev.Kind == store.KindDo && cur.Kind == store.KindDo {
						gaps = append(gaps, cur.StartedAt.Sub(*prev.FinishedAt))
					}
				}
			}
		}
		if page.NextCursor == "" {
			return lat, gaps, nil
		}
		cursor = page.NextCursor
	}
}

func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) float64 {
		i := int(p * float64(len(ds)-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
