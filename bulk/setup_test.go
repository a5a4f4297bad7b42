package bulk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

// backends are the stores the bulk tests run on.
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
	// concurrency is the bulk.Config.Concurrency `ordo serve` uses there.
	concurrency int
}{
	{"sqlite", openSQLite, 1},
	{"postgres", openPostgres, 4},
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	if os.Getenv("ORDO_TEST_POSTGRES_URL") == "" && os.Getenv("CI") == "" {
		t.Skip("ORDO_TEST_POSTGRES_URL is not set")
	}
	url, _ := pgtest.Schema(t)
	st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// countingStore counts the control actions the store applied, per
// instance, and records their audit entries. With a gate set, controls
// past the first gate ones block until their context ends (a job caught
// in the middle of a page).
type countingStore struct {
	store.Store
	mu      sync.Mutex
	applied map[string]int
	audits  []store.Action
	gate    int // 0: no gate
}

func newCountingStore(st store.Store) *countingStore {
	return &countingStore{Store: st, applied: make(map[string]int)}
}

func (c *countingStore) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	c.mu.Lock()
	blocked := c.gate > 0 && len(c.audits) >= c.gate
	c.mu.Unlock()
	if blocked {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	in, err := c.Store.InstanceControl(ctx, p)
	if err == nil {
		c.mu.Lock()
		c.applied[p.InstanceID]++
		if p.Audit != nil {
			c.audits = append(c.audits, *p.Audit)
		}
		c.mu.Unlock()
	}
	return in, err
}

// ActionAppend and ActionList pass the audit trail through (every backend
// keeps one).
func (c *countingStore) ActionAppend(ctx context.Context, entries ...*store.Action) error {
	return c.Store.(store.ActionStore).ActionAppend(ctx, entries...)
}

func (c *countingStore) ActionList(ctx context.Context, p *store.ActionListParams) (*store.ActionPage, error) {
	return c.Store.(store.ActionStore).ActionList(ctx, p)
}

func (c *countingStore) setGate(n int) {
	c.mu.Lock()
	c.gate = n
	c.mu.Unlock()
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.audits)
}

// checkOnce fails unless every one of ids had exactly one action applied.
func (c *countingStore) checkOnce(t *testing.T, ids []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	bad := 0
	for _, id := range ids {
		if n := c.applied[id]; n != 1 {
			if bad++; bad <= 5 {
				t.Errorf("instance %s: %d actions applied, want 1", id, n)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d instances were not acted on exactly once", bad, len(ids))
	}
}

// bundle is what a bulk test needs.
type bundle struct {
	st  *countingStore
	eng *ordo.Engine
	svc *bulk.Service
}

// setup starts an engine with a bulk service on st. A non-nil cfg.Orders
// asks for orders as a source: the service gets an order service of its
// engine instead.
func setup(t *testing.T, st *countingStore, cfg *bulk.Config) *bundle {
	t.Helper()
	eng, err := ordo.NewEngine(ordo.Config{Store: st, Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := bulk.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Engine = eng
	if c.Orders != nil { // a placeholder: the order service of this engine
		files, err := artifact.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { files.Close() })
		c.Orders, err = order.New(order.Config{Engine: eng, Store: st.Store.(store.FlowStore), Artifacts: files,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
	}
	svc, err := bulk.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
	})
	return &bundle{st: st, eng: eng, svc: svc}
}

// seed creates n instances of workflow wf, created one microsecond apart
// ending at end, in batches of one commit each, and returns their IDs.
// They are running, leased for an hour to a worker that is not there (so
// the engines here neither run them nor look at them when they claim
// work); every control action applies to them.
func seed(t *testing.T, st store.Store, wf string, n int, end time.Time) []string {
	t.Helper()
	ids := make([]string, 0, n)
	const batch = 500
	for i := 0; i < n; i += batch {
		var ups []*store.Update
		for j := i; j < min(i+batch, n); j++ {
			id := fmt.Sprintf("%s-%06d", wf, j)
			at := end.Add(-time.Duration(n-j) * time.Microsecond)
			ups = append(ups, leasedCreate(id, wf, json.RawMessage(`{}`), at))
			ids = append(ids, id)
		}
		res, err := st.Commit(t.Context(), ups)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	return ids
}

// waitJob polls a job until it is done.
func waitJob(t *testing.T, svc *bulk.Service, id string, within time.Duration) *bulk.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		j, err := svc.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Done {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done after %s: %+v", id, within, j)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// statuses counts the statuses of ids.
func statuses(t *testing.T, st store.Store, ids []string) map[store.InstanceStatus]int {
	t.Helper()
	out := make(map[store.InstanceStatus]int)
	for _, id := range ids {
		in, err := st.InstanceGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		out[in.Status]++
	}
	return out
}

// contextDone returns a context that is already done: Engine.Stop with it
// cancels the running steps at once.
func contextDone() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}

// leasedCreate is the Update that creates instance id of wf running,
// leased for an hour to a worker that is not there.
func leasedCreate(id, wf string, params json.RawMessage, at time.Time) *store.Update {
	token := "elsewhere-" + id
	return &store.Update{InstanceID: id, LeaseToken: token, Now: at, Create: &store.InstanceCreateParams{
		ID: id, Workflow: wf, Params: params, Now: at,
		Claim: &store.CreateClaim{Owner: "elsewhere", Token: token, LeaseUntil: time.Now().Add(time.Hour)}}}
}
