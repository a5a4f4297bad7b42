package ordotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// Options configure New. nil means defaults.
type Options struct {
	// Start is the virtual clock's initial time. Default 2026-01-01 UTC.
	Start time.Time
	// Store replaces the in-memory store (for example with SQLite in
	// t.TempDir() to test against a real database).
	Store store.Store
	// Logger receives engine logs. Default: discarded.
	Logger *slog.Logger
	// Timeout bounds each wait in real time. Default 2 min: it only
	// bounds a failing test, so it leaves room for a CI machine saturated
	// by other work.
	Timeout time.Duration
	// TracerProvider is the engine's (ordo.Config.TracerProvider), for a
	// test of the spans with an in-memory exporter. Default: the global
	// provider.
	TracerProvider trace.TracerProvider
	// Limits are the engine's named step limits (ordo.Config.Limits).
	// Default none.
	Limits []ordo.Limit
}

// StepFunc replaces a step in a test: it returns the step's output (any
// JSON-serialisable value) or an error, and is called for every attempt.
type StepFunc func(ctx context.Context, info ordo.StepInfo) (any, error)

// Env is a workflow test environment: an engine on an in-memory store and a
// virtual clock that jumps to the next due timer whenever nothing runs, so
// a 48-hour sleep finishes at once.
type Env struct {
	t       testing.TB
	Engine  *ordo.Engine
	Clock   *Clock
	Store   store.Store
	timeout time.Duration

	mu       sync.Mutex
	replaced map[string]StepFunc
	calls    map[string]int
}

// New returns a started Env; it stops when the test ends.
func New(t testing.TB, opts *Options) *Env {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	st := opts.Store
	if st == nil {
		st = memory.New()
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	env := &Env{t: t, Clock: NewClock(start), Store: st, timeout: opts.Timeout,
		replaced: map[string]StepFunc{}, calls: map[string]int{}}
	if env.timeout == 0 {
		env.timeout = 2 * time.Minute
	}
	eng, err := ordo.NewEngine(ordo.Config{
		Store: st, Clock: env.Clock, Logger: logger, Concurrency: 8,
		PollInterval: time.Hour, Interceptor: env.intercept, TracerProvider: opts.TracerProvider,
		Limits: opts.Limits,
	})
	if err != nil {
		t.Fatalf("ordotest: new engine: %v", err)
	}
	env.Engine = eng
	if err := eng.Start(context.Background()); err != nil {
		t.Fatalf("ordotest: start engine: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
	})
	return env
}

// Register registers workflows with the engine, failing the test on error.
func (env *Env) Register(defs ...ordo.Definition) {
	env.t.Helper()
	if err := env.Engine.Register(defs...); err != nil {
		env.t.Fatalf("ordotest: register: %v", err)
	}
}

// ReplaceStep makes every attempt of the steps named name call fn instead
// of the workflow's own function.
func (env *Env) ReplaceStep(name string, fn StepFunc) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.replaced[name] = fn
}

// StepResult makes the steps named name return v without running.
func (env *Env) StepResult(name string, v any) {
	env.ReplaceStep(name, func(context.Context, ordo.StepInfo) (any, error) { return v, nil })
}

// StepError makes every attempt of the steps named name fail with err.
func (env *Env) StepError(name string, err error) {
	env.ReplaceStep(name, func(context.Context, ordo.StepInfo) (any, error) { return nil, err })
}

// Calls returns how many attempts of the steps named name ran (replaced or
// not).
func (env *Env) Calls(name string) int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.calls[name]
}

func (env *Env) intercept(ctx context.Context, info ordo.StepInfo, next func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	env.mu.Lock()
	if !info.Compensation {
		env.calls[info.Step]++
	}
	fn, ok := env.replaced[info.Step]
	env.mu.Unlock()
	if !ok || info.Compensation {
		return next(ctx)
	}
	v, err := fn(ctx, info)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, ordo.NonRetryable(fmt.Errorf("ordotest: encode replaced result of step %q: %w", info.Step, err))
	}
	return b, nil
}

// Start creates an instance of the named workflow.
func (env *Env) Start(workflow string, params any) string {
	env.t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		env.t.Fatalf("ordotest: encode params: %v", err)
	}
	inst, err := env.Engine.Create(context.Background(), workflow, b, nil)
	if err != nil {
		env.t.Fatalf("ordotest: create %s: %v", workflow, err)
	}
	return inst.ID
}

// SendEvent sends an event to an instance.
func (env *Env) SendEvent(id, eventType string, payload any) {
	env.t.Helper()
	if err := env.Engine.SendEvent(context.Background(), id, eventType, payload); err != nil {
		env.t.Fatalf("ordotest: send event: %v", err)
	}
}

// WaitStatus waits until the instance has one of the statuses, advancing
// the virtual clock to the next due timer whenever nothing runs (unless one
// of the wanted statuses is waiting), and to the engine's next try whenever
// it retries a failed store write (Engine.StoreRetryAt), so a store fault
// costs virtual time only. It fails the test after the real-time timeout.
func (env *Env) WaitStatus(id string, statuses ...ordo.Status) *ordo.Instance {
	env.t.Helper()
	inst, err := env.waitStatus(id, statuses)
	if err != nil {
		env.t.Fatal(err)
	}
	return inst
}

var errWaitTimeout = errors.New("ordotest: timed out")

func (env *Env) waitStatus(id string, statuses []ordo.Status) (*ordo.Instance, error) {
	ctx := context.Background()
	deadline := time.Now().Add(env.timeout)
	wantWaiting := false
	for _, s := range statuses {
		wantWaiting = wantWaiting || s == ordo.StatusWaiting
	}
	var last *ordo.Instance
	for poll := time.Millisecond; time.Now().Before(deadline); poll = min(poll*2, 20*time.Millisecond) {
		inst, err := env.Engine.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		last = inst
		for _, s := range statuses {
			if inst.Status == s {
				return inst, nil
			}
		}
		if inst.Status.Terminal() {
			return inst, fmt.Errorf("ordotest: instance %s ended %s, want %v (error: %+v)", id, inst.Status, statuses, inst.Error)
		}
		if at, ok := env.Engine.StoreRetryAt(); ok && at.After(env.Clock.Now()) {
			env.Clock.Set(at)
			poll = time.Millisecond
			continue
		}
		if !wantWaiting && inst.Status == ordo.StatusWaiting && inst.WakeAt != nil && env.Engine.Active() == 0 {
			if inst.WakeAt.After(env.Clock.Now()) {
				env.Clock.Set(*inst.WakeAt)
				poll = time.Millisecond
				continue
			}
		}
		time.Sleep(poll) // real time: the engine runs on other goroutines
	}
	return last, fmt.Errorf("%w waiting for instance %s to be %v; it is %s", errWaitTimeout, id, statuses, last.Status)
}

// WaitDone waits until the instance is complete, errored, terminated or
// cancelled.
func (env *Env) WaitDone(id string) *ordo.Instance {
	env.t.Helper()
	return env.WaitStatus(id, ordo.StatusComplete, ordo.StatusErrored, ordo.StatusTerminated, ordo.StatusCancelled)
}

// Run executes wf with in to the end on the virtual clock and returns its
// output, the final instance, and the workflow's error (nil when complete).
func Run[In, Out any](env *Env, wf *ordo.Workflow[In, Out], in In) (Out, *ordo.Instance, error) {
	env.t.Helper()
	var zero Out
	if _, ok := findWorkflow(env.Engine, wf.Name()); !ok {
		env.Register(wf)
	}
	inst, err := wf.Create(context.Background(), env.Engine, in, nil)
	if err != nil {
		return zero, nil, err
	}
	final := env.WaitDone(inst.ID)
	switch final.Status {
	case ordo.StatusComplete:
		out, err := wf.Output(final)
		return out, final, err
	case ordo.StatusErrored:
		msg := "errored"
		if final.Error != nil {
			msg = final.Error.Message
		}
		return zero, final, errors.New(msg)
	}
	return zero, final, fmt.Errorf("instance %s ended %s", final.ID, final.Status)
}

func findWorkflow(e *ordo.Engine, name string) (ordo.WorkflowInfo, bool) {
	for _, w := range e.Workflows() {
		if w.Name == name {
			return w, true
		}
	}
	return ordo.WorkflowInfo{}, false
}
