package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
)

// The cluster tests re-execute this test binary as worker processes
// (ORDO_PG_WORKER=1): each runs an engine on the shared database until
// SIGTERM, with the workflow defined below.
func TestMain(m *testing.M) {
	if os.Getenv("ORDO_PG_WORKER") == "1" {
		if err := workerMain(); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// clusterWorkflow runs three steps that each call the side-effect
// endpoint, with a durable sleep between the first two; the second fails
// its first attempt for every fifth instance and is retried after a
// durable delay. worker names the process in the requests.
func clusterWorkflow(effects, worker string) *ordo.Workflow[int, int] {
	policy := &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 5, Delay: 100 * time.Millisecond, Backoff: ordo.BackoffConstant}}
	effect := func(n int, failFirst bool) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			if err := callEffect(ctx, effects, worker, ""); err != nil {
				return 0, err
			}
			if info, _ := ordo.StepInfoFrom(ctx); failFirst && info.Attempt == 1 {
				return 0, errors.New("first attempt fails")
			}
			return n, nil
		}
	}
	return ordo.NewWorkflow("cluster", func(ctx context.Context, n int) (int, error) {
		a, err := ordo.Do(ctx, "charge", policy, effect(n, false))
		if err != nil {
			return 0, err
		}
		if err := ordo.Sleep(ctx, "settle", 50*time.Millisecond); err != nil {
			return 0, err
		}
		b, err := ordo.Do(ctx, "reserve", policy, effect(1, n%5 == 0))
		if err != nil {
			return 0, err
		}
		c, err := ordo.Do(ctx, "ship", policy, effect(2, false))
		if err != nil {
			return 0, err
		}
		return a + b + c, nil
	})
}

// effectClient calls the side-effect endpoint from the workers. Its
// timeout is long enough for the answers the tests hold (holdAfter) until
// they kill, stop or freeze the worker: a request that timed out would
// count as an attempt of its own.
var effectClient = &http.Client{Timeout: 2 * time.Minute}

// callEffect makes the running step's side effect: a request to the
// endpoint effects naming the step's idempotency key, the worker and a
// tag the tests group the calls by (a limit's name, a code path).
func callEffect(ctx context.Context, effects, worker, tag string) error {
	info, _ := ordo.StepInfoFrom(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, effects, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Idempotency-Key", info.IdempotencyKey)
	req.Header.Set("X-Worker", worker)
	req.Header.Set("X-Tag", tag)
	resp, err := effectClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("side effect: %s", resp.Status)
	}
	return nil
}

// workerSetup configures a worker process's engine (cfg holds what every
// worker shares: store, lease, name, logger) and returns the workflows it
// runs; effects is the side-effect endpoint and worker the process's name.
type workerSetup func(cfg *ordo.Config, effects, worker string) []ordo.Definition

// workerSetups are the setups a worker process can run, by the name
// startWorkerWith passes it (ORDO_PG_WORKER_SETUP); "" is the cluster
// workflow's.
var workerSetups = map[string]workerSetup{
	"": func(_ *ordo.Config, effects, worker string) []ordo.Definition {
		return []ordo.Definition{clusterWorkflow(effects, worker)}
	},
	"limits":    limitsSetup,
	"per-key":   perKeySetup,
	"patch-old": patchSetup(false),
	"patch-new": patchSetup(true),
}

// workerLease is the workers' lease: a killed worker's instances are taken
// over this long after its last heartbeat.
const workerLease = 2 * time.Second

func workerMain() error {
	// First, so a SIGTERM that arrives while starting is not fatal.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	ctx := context.Background()
	name := os.Getenv("ORDO_PG_WORKER_NAME")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("worker", name)
	st, err := postgres.Open(ctx, os.Getenv("ORDO_PG_URL"), &postgres.Options{MaxConns: 6, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil { // several workers migrate at once
		return err
	}
	setup, ok := workerSetups[os.Getenv("ORDO_PG_WORKER_SETUP")]
	if !ok {
		return fmt.Errorf("no worker setup %q", os.Getenv("ORDO_PG_WORKER_SETUP"))
	}
	cfg := ordo.Config{
		Store: st, Concurrency: 16, LeaseDuration: workerLease, PollInterval: 500 * time.Millisecond,
		WorkerID: name, Logger: log,
	}
	defs := setup(&cfg, os.Getenv("ORDO_PG_EFFECTS"), name)
	e, err := ordo.NewEngine(cfg)
	if err != nil {
		return err
	}
	if err := e.Register(defs...); err != nil {
		return err
	}
	if err := e.Start(ctx); err != nil {
		return err
	}
	<-sig
	log.Info("worker stopping")
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return e.Stop(sctx)
}

// sideEffects is the endpoint the steps call. It counts requests per
// idempotency key and per worker, records every key that had two
// requests in flight at once, and keeps every request as a call with
// when it came and when it was answered. A hold (holdAfter) keeps the answers to a
// worker's requests past a count: the tests' fixed point to kill, freeze
// or cut off at, whatever the machine's speed.
type sideEffects struct {
	mu       sync.Mutex
	inflight map[string]int
	count    map[string]int
	byWorker map[string]int
	overlaps []string
	holds    map[string]*hold
	calls    []call
	// work is how long a side effect takes (setWork); default 3 ms.
	work time.Duration
}

// call is one request to the side-effect endpoint: a step's side effect,
// in flight from start until it was answered or its caller went away
// (end; zero while in flight).
type call struct {
	key, worker, tag string
	start, end       time.Time
	// held: its answer was held (holdAfter); cut: it ended unanswered,
	// its caller gone.
	held, cut bool
}

// hold keeps the answers to the requests of one worker (or of all, "")
// after the first `after` it saw until release is closed; firstHeld is
// closed when the first is held.
type hold struct {
	after, seen, held int
	firstHeld         chan struct{}
	release           chan struct{}
}

func newSideEffects(t *testing.T) (*sideEffects, string) {
	s := &sideEffects{inflight: map[string]int{}, count: map[string]int{}, byWorker: map[string]int{}, holds: map[string]*hold{},
		work: 3 * time.Millisecond}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.releaseAll()
		srv.Close()
	})
	return s, srv.URL
}

// holdAfter holds the answers to worker's requests (any worker's, for
// "") after its next n, until release. The side effect itself happens
// (it is counted) before the answer is held: a held request is a step
// cut off after its side effect, before its result came back.
func (s *sideEffects) holdAfter(worker string, n int) *hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &hold{after: n, firstHeld: make(chan struct{}), release: make(chan struct{})}
	s.holds[worker] = h
	return h
}

// waitHeld waits until h holds a request: the worker can record no
// further step result.
func (s *sideEffects) waitHeld(t *testing.T, h *hold, what string) {
	t.Helper()
	select {
	case <-h.firstHeld:
	case <-time.After(3 * time.Minute):
		t.Fatalf("no request was held: %s", what)
	}
}

// release answers h's held requests and every later one at once.
func (s *sideEffects) release(h *hold) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

func (s *sideEffects) releaseAll() {
	s.mu.Lock()
	hs := slices.Collect(maps.Values(s.holds))
	s.mu.Unlock()
	for _, h := range hs {
		s.release(h)
	}
}

// heldCount returns how many requests h held.
func (s *sideEffects) heldCount(h *hold) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return h.held
}

func (s *sideEffects) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	i := len(s.calls)
	s.calls = append(s.calls, call{key: key, worker: r.Header.Get("X-Worker"), tag: r.Header.Get("X-Tag"), start: time.Now()})
	s.inflight[key]++
	s.count[key]++
	s.byWorker[r.Header.Get("X-Worker")]++
	if s.inflight[key] > 1 {
		s.overlaps = append(s.overlaps, key)
	}
	work := s.work
	s.mu.Unlock()
	time.Sleep(work) // the work the side effect takes
	s.mu.Lock()
	s.inflight[key]--
	h := s.holds[r.Header.Get("X-Worker")]
	if h == nil {
		h = s.holds[""]
	}
	var wait chan struct{}
	if h != nil {
		if h.seen++; h.seen > h.after {
			wait = h.release
			select {
			case <-h.release:
			default:
				s.calls[i].held = true
				if h.held++; h.held == 1 {
					close(h.firstHeld)
				}
			}
		}
	}
	s.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-r.Context().Done(): // the worker died or gave up
			s.endCall(i, true)
			return
		}
	}
	s.endCall(i, false)
	w.WriteHeader(http.StatusOK)
}

// setWork sets how long each side effect takes from now on.
func (s *sideEffects) setWork(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.work = d
}

// endCall records that call i ends now, unless it was ended already
// (endCallsOf).
func (s *sideEffects) endCall(i int, cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls[i].end.IsZero() {
		s.calls[i].end, s.calls[i].cut = time.Now(), cut
	}
}

// endCallsOf ends worker's calls still in flight, cut off now: the test
// calls it once the worker's process is gone, so a call is not counted
// as running on after its caller died, however late the server notices
// the closed connection.
func (s *sideEffects) endCallsOf(worker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for i := range s.calls {
		if c := &s.calls[i]; c.worker == worker && c.end.IsZero() {
			c.end, c.cut = now, true
		}
	}
}

// callsTagged returns the calls with the tag (any, for "*"), in the
// order they came.
func (s *sideEffects) callsTagged(tag string) []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []call
	for _, c := range s.calls {
		if c.tag == tag || tag == "*" {
			out = append(out, c)
		}
	}
	return out
}

func (s *sideEffects) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.count)
}

// snapshot is what was recorded, and how often each side effect had run,
// at a moment of the run.
type snapshot struct {
	what     string
	recorded map[string]bool // idempotency keys of completed steps
	counts   map[string]int
}

// takeSnapshot reads the recorded steps first, then the counts: a request
// for a recorded step after this moment shows up as a count that grew.
func takeSnapshot(t *testing.T, st *postgres.Store, effects *sideEffects, what string) snapshot {
	t.Helper()
	return snapshot{what: what, recorded: recordedSteps(t, st), counts: effects.counts()}
}

// recordedSteps returns the idempotency keys (instance/key) of the do-steps
// recorded completed.
func recordedSteps(t *testing.T, st *postgres.Store) map[string]bool {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(),
		`SELECT instance_id || '/' || key FROM steps WHERE kind = 'do' AND status = 'completed'`)
	if err != nil {
		t.Fatalf("recorded steps: %v", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("recorded steps: %v", err)
	}
	return out
}

// worker is a worker process.
type worker struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// startWorker starts a worker process running the cluster workflow; it is
// killed when the test ends if it still runs, and its log is printed if
// the test failed.
func startWorker(t *testing.T, name, url, effects string) *worker {
	t.Helper()
	return startWorkerWith(t, name, url, effects, "")
}

// startWorkerWith starts a worker process running the named workerSetups
// entry, as startWorker does.
func startWorkerWith(t *testing.T, name, url, effects, setup string) *worker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ORDO_PG_WORKER=1", "ORDO_PG_WORKER_NAME="+name, "ORDO_PG_URL="+url,
		"ORDO_PG_EFFECTS="+effects, "ORDO_PG_WORKER_SETUP="+setup)
	w := &worker{t: t, name: name, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-w.done
		if t.Failed() {
			t.Logf("worker %s (pid %d) log:\n%s", name, cmd.Process.Pid, w.logs.String())
		}
	})
	// Wait until it runs: a signal sent while the (race-enabled, loaded)
	// binary is still starting would kill it before it handles signals.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(w.logs.String(), "ordo: engine started") {
		select {
		case <-w.done:
			t.Fatalf("worker %s exited while starting: %v\n%s", name, cmd.ProcessState, w.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %s did not start within 2m:\n%s", name, w.logs.String())
		}
	}
	return w
}

func (w *worker) signal(sig syscall.Signal) {
	w.t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatalf("signal %v to worker %s: %v", sig, w.name, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (w *worker) wait(timeout time.Duration) int {
	w.t.Helper()
	select {
	case <-w.done:
		return w.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		w.t.Fatalf("worker %s did not exit within %s", w.name, timeout)
		return -1
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for poll := 10 * time.Millisecond; !cond(); poll = min(2*poll, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(poll) // polling interval of a condition with a deadline
	}
}

// createInstances creates n cluster instances c-000... from this process
// (an engine that is not started: it only writes them, unclaimed).
func createInstances(t *testing.T, st *postgres.Store, n int) []string {
	t.Helper()
	wf := clusterWorkflow("", "")
	return createN(t, writerEngine(t, st, wf), wf, "c", n)
}

// writerEngine returns an engine on st with defs registered that is never
// started: the test process creates instances and sends events with it,
// the workers run them.
func writerEngine(t *testing.T, st *postgres.Store, defs ...ordo.Definition) *ordo.Engine {
	t.Helper()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Never started, but creating instances starts its committer: Stop ends it.
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	if err := e.Register(defs...); err != nil {
		t.Fatal(err)
	}
	return e
}

// createN creates n instances of wf, prefix-000 with input 0 and so on,
// with e (a writerEngine); it returns their IDs.
func createN(t *testing.T, e *ordo.Engine, wf *ordo.Workflow[int, int], prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		in, err := wf.Create(t.Context(), e, i, &ordo.CreateOptions{ID: fmt.Sprintf("%s-%03d", prefix, i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = in.ID
	}
	return ids
}

// countComplete returns how many instances are complete.
func countComplete(t *testing.T, st *postgres.Store) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM instances WHERE status = 'complete'`).Scan(&n); err != nil {
		t.Logf("count complete: %v", err) // the database may be restarting
		return -1
	}
	return n
}

// checkRun verifies the end state: every instance complete with its
// output; no step ran in two places at once; every step ran, at most once
// more than its attempts (a run cut short before its result was
// recorded); and no step recorded at a snapshot ran after it. It returns
// how many attempts were counted as cut off.
func checkRun(t *testing.T, st *postgres.Store, effects *sideEffects, ids []string, snaps []snapshot) (cutOff int) {
	t.Helper()
	final := effects.counts()
	effects.mu.Lock()
	overlaps := append([]string(nil), effects.overlaps...)
	effects.mu.Unlock()
	if len(overlaps) > 0 {
		t.Errorf("steps ran concurrently in two places: %v", overlaps)
	}
	checkComplete(t, st, ids)
	for i, id := range ids {
		j, err := st.JournalLoad(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"charge#1", "reserve#1", "ship#1"} {
			most := 1
			if key == "reserve#1" && i%5 == 0 {
				most = 2 // the first attempt that runs fails by design
			}
			cutOff += checkAttempts(t, j, id, key, final[id+"/"+key], most)
		}
	}
	t.Logf("%d attempts counted as cut off by lost workers", cutOff)
	for _, s := range snaps {
		for k := range s.recorded {
			if final[k] != s.counts[k] {
				t.Errorf("%s was recorded complete %s, yet ran %d more times", k, s.what, final[k]-s.counts[k])
			}
		}
	}
	t.Logf("%d side effects for %d steps (%d attempts planned)", sumValues(final), 3*len(ids), 3*len(ids)+(len(ids)+4)/5)
	return cutOff
}

// checkAttempts verifies step key of instance id in its journal j against
// the side effects made for it (calls): every attempt recorded as run ran
// once; one the engine counted as cut off (its worker's lease ran out)
// ran at most once, in the worker that lost it; between 1 and most
// attempts ran. An attempt is recorded once, even from a batch re-sent
// after its answer was lost (the database restarted). It returns how many
// attempts were counted as cut off.
func checkAttempts(t *testing.T, j *store.Journal, id, key string, calls, most int) (cut int) {
	t.Helper()
	ranNums, cutNums, twice := attemptNumbers(j, key)
	for _, n := range twice {
		t.Errorf("%s/%s: attempt %d recorded twice", id, key, n)
	}
	ran, cut := len(ranNums), len(cutNums)
	if ran < 1 || ran > most || calls < ran || calls > ran+cut {
		t.Errorf("%s/%s ran %d times with %d attempts recorded as run and %d as cut off; want 1..%d run", id, key, calls, ran, cut, most)
	}
	return cut
}

// attemptNumbers returns the numbers of step key's attempts in j recorded
// as run and as cut off, and those recorded more than once.
func attemptNumbers(j *store.Journal, key string) (ran, cut map[int]bool, twice []int) {
	ran, cut = map[int]bool{}, map[int]bool{}
	for _, s := range j.Steps {
		if s.Key != key {
			continue
		}
		for _, a := range s.History {
			if ran[a.Number] || cut[a.Number] {
				twice = append(twice, a.Number)
			}
			if a.Error != nil && a.Error.Kind == "cut_off" {
				cut[a.Number] = true
			} else {
				ran[a.Number] = true
			}
		}
	}
	return ran, cut, twice
}

// checkComplete verifies that every instance completed with its output.
func checkComplete(t *testing.T, st *postgres.Store, ids []string) {
	t.Helper()
	for i, id := range ids {
		in, err := st.InstanceGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Status != ordo.StatusComplete || string(in.Output) != strconv.Itoa(i+3) {
			t.Errorf("%s: %s with output %s, want complete with %d", id, in.Status, in.Output, i+3)
		}
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
