package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/store"
)

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// Store is where instances and their journals live. Required.
	Store store.Store
	// Concurrency is how many instances run at once in this engine.
	// Default 32. Sleeping and waiting instances do not count.
	Concurrency int
	// Logger receives the engine's logs. Default slog.Default().
	Logger *slog.Logger
	// Clock is the source of time. Default SystemClock.
	Clock Clock
	// LeaseDuration is how long a claim lasts without a heartbeat.
	// Default 30 s. An instance whose worker died is picked up again by
	// another worker after at most this long.
	LeaseDuration time.Duration
	// HeartbeatInterval is how often leases are renewed. Default
	// LeaseDuration/3.
	HeartbeatInterval time.Duration
	// PollInterval is how often an idle engine looks for work it was not
	// told about (instances created by other processes). Default 1 s.
	PollInterval time.Duration
	// MaxPayloadBytes limits params, step outputs, compensation data and
	// event payloads. Default 1 MiB.
	MaxPayloadBytes int
	// MaxEventsPerInstance is how many events one instance accepts, consumed
	// or not; SendEvent refuses more with ErrLimitExceeded. Default
	// DefaultMaxEventsPerInstance (1000); -1 means no limit.
	MaxEventsPerInstance int
	// MaxEventBytesPerInstance bounds the total payload size of one
	// instance's events; SendEvent refuses an event that would pass it with
	// ErrLimitExceeded. Default DefaultMaxEventBytesPerInstance (16 MiB);
	// -1 means no limit.
	MaxEventBytesPerInstance int64
	// AbandonGrace is how long a step attempt whose timeout elapsed may
	// still take to return after its context was cancelled. Past it the
	// engine stops waiting: the attempt is recorded as failed with error
	// kind "abandoned", the step fails without a retry (a retry would run
	// beside the attempt that is still going), the abandonment is logged,
	// and the goroutine is left to end on its own (counted by
	// Engine.AbandonedAttempts). Default DefaultAbandonGrace (10 s).
	AbandonGrace time.Duration
	// EventMatchWindow is the look-back window of a WaitForEvent with
	// Match: when the wait begins, the published events of its type that
	// match and were published at most this long before are delivered to
	// it too. Default DefaultEventMatchWindow (24 h); -1 looks back not at
	// all (only events published while the instance waits reach it).
	EventMatchWindow time.Duration
	// MaxCommitBatch is how many instances' updates one storage transaction
	// may carry. Default 256.
	MaxCommitBatch int
	// WorkerID names this engine in leases. Default host-pid-random.
	WorkerID string
	// Version is the code version of this engine's workflows. Each
	// instance records the version of the engine that first ran it
	// (Instance.Version), and an engine claims only instances of its own
	// version, of a version in CompatibleVersions, or of none, so during
	// a rolling deploy old and new workers each run their own instances.
	// Default BuildVersion(): the build's VCS revision. "" when the build
	// has none (-buildvcs=false, go test): such an engine records no
	// version and runs instances of every version.
	Version string
	// CompatibleVersions are the other code versions whose instances this
	// engine may run: versions whose journals its workflows replay
	// unchanged (for example because the changes since are behind
	// Patched). AnyVersion runs every version. Default none.
	CompatibleVersions []string
	// Limits are the named limits steps may name (StepOptions.Limit),
	// shared through the store by every engine on it; each is checked by
	// Limit.Validate, and the store must implement store.LimitStore
	// (memory, SQLite and PostgreSQL do). Default none.
	Limits []Limit
	// LimitRecheck is the longest a step refused by a limit's concurrency
	// waits before it asks again, in case no release wakes it (the holder
	// died and its lease expired). At most 1 h. Default
	// DefaultLimitRecheck (5 s).
	LimitRecheck time.Duration
	// Interceptor, if set, wraps every step attempt. Package ordotest uses
	// it to replace chosen steps' results; it also suits tracing.
	Interceptor StepInterceptor
	// OnFinish, if set, is called after an instance reaches a terminal
	// status in this engine (complete or errored). It must not block.
	OnFinish func(id string, status Status)
	// Observer, if set, receives the engine's measurements (claims,
	// finishes, step attempts, commits, lost leases, publishes); package
	// metrics turns them into Prometheus metrics. Default: none.
	Observer Observer
	// TracerProvider makes the engine's OpenTelemetry spans: one per run
	// of an instance and one per step attempt (see the README's Traces).
	// Default otel.GetTracerProvider(), the global provider, which makes
	// no spans unless the program installs one (ordo serve does when
	// OTEL_EXPORTER_OTLP_ENDPOINT is set).
	TracerProvider trace.TracerProvider
}

// StepInterceptor wraps a step attempt. It calls next to run the step (or
// does not, to replace it) and returns the step's JSON output.
type StepInterceptor func(ctx context.Context, info StepInfo, next func(context.Context) (json.RawMessage, error)) (json.RawMessage, error)

const defaultMaxPayload = 1 << 20

// Defaults of Config's per-instance event limits and abandon grace.
const (
	DefaultMaxEventsPerInstance           = 1000
	DefaultMaxEventBytesPerInstance int64 = 16 << 20
	DefaultAbandonGrace                   = 10 * time.Second
	// DefaultEventMatchWindow is Config.EventMatchWindow's default.
	DefaultEventMatchWindow = 24 * time.Hour
)

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.Store == nil {
		return cfg, fmt.Errorf("%w: Config.Store is required", ErrInvalidArgument)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 32
	}
	if cfg.Concurrency < 0 {
		return cfg, fmt.Errorf("%w: Config.Concurrency must be positive, got %d", ErrInvalidArgument, cfg.Concurrency)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = 30 * time.Second
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = cfg.LeaseDuration / 3
	}
	if cfg.HeartbeatInterval >= cfg.LeaseDuration {
		return cfg, fmt.Errorf("%w: Config.HeartbeatInterval (%s) must be shorter than LeaseDuration (%s)", ErrInvalidArgument, cfg.HeartbeatInterval, cfg.LeaseDuration)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.MaxPayloadBytes == 0 {
		cfg.MaxPayloadBytes = defaultMaxPayload
	}
	if err := cfg.eventLimitDefaults(); err != nil {
		return cfg, err
	}
	if cfg.AbandonGrace == 0 {
		cfg.AbandonGrace = DefaultAbandonGrace
	}
	if cfg.AbandonGrace < 0 {
		return cfg, fmt.Errorf("%w: Config.AbandonGrace must be positive, got %s", ErrInvalidArgument, cfg.AbandonGrace)
	}
	switch {
	case cfg.EventMatchWindow == 0:
		cfg.EventMatchWindow = DefaultEventMatchWindow
	case cfg.EventMatchWindow < 0 && cfg.EventMatchWindow != -1:
		return cfg, fmt.Errorf("%w: Config.EventMatchWindow must be positive or -1 (no look-back), got %s", ErrInvalidArgument, cfg.EventMatchWindow)
	}
	switch {
	case cfg.LimitRecheck == 0:
		cfg.LimitRecheck = DefaultLimitRecheck
	case cfg.LimitRecheck < 0 || cfg.LimitRecheck > store.MaxLimitRecheck:
		return cfg, fmt.Errorf("%w: Config.LimitRecheck must be in (0, %s], got %s", ErrInvalidArgument, store.MaxLimitRecheck, cfg.LimitRecheck)
	}
	if _, ok := cfg.Store.(store.LimitStore); len(cfg.Limits) > 0 && !ok {
		return cfg, fmt.Errorf("%w: Config.Limits needs a store with named limits (store.LimitStore); %T has none", ErrInvalidArgument, cfg.Store)
	}
	if cfg.MaxCommitBatch == 0 {
		cfg.MaxCommitBatch = 256
	}
	if err := cfg.versionDefaults(); err != nil {
		return cfg, err
	}
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		cfg.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	return cfg, nil
}

// eventLimitDefaults applies the defaults of the event limits and checks
// them: positive, or -1 for none.
func (c *Config) eventLimitDefaults() error {
	switch {
	case c.MaxEventsPerInstance == 0:
		c.MaxEventsPerInstance = DefaultMaxEventsPerInstance
	case c.MaxEventsPerInstance < -1:
		return fmt.Errorf("%w: Config.MaxEventsPerInstance must be positive or -1 (no limit), got %d", ErrInvalidArgument, c.MaxEventsPerInstance)
	}
	switch {
	case c.MaxEventBytesPerInstance == 0:
		c.MaxEventBytesPerInstance = DefaultMaxEventBytesPerInstance
	case c.MaxEventBytesPerInstance < -1:
		return fmt.Errorf("%w: Config.MaxEventBytesPerInstance must be positive or -1 (no limit), got %d", ErrInvalidArgument, c.MaxEventBytesPerInstance)
	}
	return nil
}

// Engine runs workflows. Create one with NewEngine, Register workflows,
// then Start it; the instance methods (Create, Get, Pause, ...) work with or
// without Start, so an API-only process can use them too.
type Engine struct {
	cfg       Config
	log       *slog.Logger
	store     store.Store
	clock     Clock
	committer *committer
	obs       Observer
	tracer    trace.Tracer

	mu        sync.RWMutex
	workflows map[string]Definition
	reserved  []*Reservation
	// retention holds the workflows' own retention periods
	// (Workflow.WithRetention, SetRetention).
	retention map[string]time.Duration
	// deleteHooks run before instances are deleted (OnDelete).
	deleteHooks []DeleteHook

	worker   *worker
	abandons *abandons
	limits   *limitSet // Config.Limits and DeclareLimit's
	released releases  // Engine.Wait's wake-ups

	subs subscriptions // event subscriptions (Subscribe, Workflow.On)
	pub  publisher     // group commit of published events
}

// NewEngine validates cfg and returns an engine. It does not touch storage.
func NewEngine(cfg Config) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	limits, err := newLimitSet(c.Limits)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		limits:    limits,
		cfg:       c,
		log:       c.Logger,
		store:     c.Store,
		clock:     c.Clock,
		obs:       c.observer(),
		tracer:    c.TracerProvider.Tracer(TracerName),
		workflows: map[string]Definition{},
	}
	e.committer = newCommitter(c.Store, c.MaxCommitBatch, c.Clock, c.LeaseDuration/2, c.Logger, e.obs)
	e.worker = newWorker(e)
	e.abandons = &abandons{log: c.Logger, clock: c.Clock}
	return e, nil
}

// Register adds workflow definitions and subscribes their triggers
// (Workflow.On). A name registered twice is an error wrapping
// ErrAlreadyExists; a trigger whose filter does not compile wraps
// ErrInvalidArgument. On a started engine, the instances of the new
// workflows already in the store are claimed at once, not at the next
// poll.
func (e *Engine) Register(defs ...Definition) error {
	subs, err := collectTriggers(defs)
	if err != nil {
		return err
	}
	e.mu.Lock()
	err = e.addWorkflows(defs)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	e.worker.notify() // the claim loop may have found nothing to claim for
	var errs []error
	for _, s := range subs {
		errs = append(errs, e.subs.add(s))
	}
	return errors.Join(errs...)
}

// addWorkflows adds defs to the registry; e.mu is held.
func (e *Engine) addWorkflows(defs []Definition) error {
	for _, d := range defs {
		if d == nil || d.Name() == "" {
			return fmt.Errorf("%w: workflow name must not be empty", ErrInvalidArgument)
		}
		if _, ok := e.workflows[d.Name()]; ok {
			return fmt.Errorf("%w: workflow %q is already registered", ErrAlreadyExists, d.Name())
		}
		_, limits := e.store.(store.LimitStore)
		if err := d.concurrencyCheck(limits); err != nil {
			return err
		}
		r, hasRetention := d.retentionPeriod()
		if hasRetention && r < 0 {
			return fmt.Errorf("%w: workflow %q: retention %s is negative", ErrInvalidArgument, d.Name(), r)
		}
		e.workflows[d.Name()] = d
		if hasRetention {
			e.setRetention(d.Name(), r)
		}
	}
	return nil
}

// Workflows lists the registered workflows by name.
func (e *Engine) Workflows() []WorkflowInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]WorkflowInfo, 0, len(e.workflows))
	for n := range e.workflows {
		out = append(out, WorkflowInfo{Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (e *Engine) workflow(name string) (Definition, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.workflows[name]
	return d, ok
}

func (e *Engine) workflowNames() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, 0, len(e.workflows))
	for n := range e.workflows {
		names = append(names, n)
	}
	return names
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// MaxPayloadBytes returns the configured payload limit.
func (e *Engine) MaxPayloadBytes() int { return e.cfg.MaxPayloadBytes }

// Start starts the workers: the claim loop, the heartbeat and the batch
// committer. It returns at once; Stop ends them.
func (e *Engine) Start(ctx context.Context) error {
	return e.worker.start(ctx)
}

// Stop shuts the engine down gracefully: it stops claiming, waits for
// running steps until ctx is done, then cancels them and releases every
// lease it holds so other workers (or the next start) continue the
// instances. Calling Stop twice is safe.
//
// Stop an engine that was never started too (one that only creates
// instances, as an API-only process does): its first Create starts the
// goroutine that batches writes, and Stop ends it. After Stop, the
// instance methods still work, each write in a transaction of its own.
func (e *Engine) Stop(ctx context.Context) error {
	return e.worker.stop(ctx)
}

// Running reports whether the engine's workers run: Start was called and
// Stop was not, and the claim loop has not ended.
func (e *Engine) Running() bool { return e.worker.running() }

// checkPayload enforces MaxPayloadBytes.
func (e *Engine) checkPayload(what string, b []byte) error {
	if len(b) > e.cfg.MaxPayloadBytes {
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrPayloadTooLarge, what, len(b), e.cfg.MaxPayloadBytes)
	}
	return nil
}

// StoreRetryAt reports whether the engine waits to use its store again
// after a call failed (a batch of step results whose transaction failed
// is retried with backoff, for up to LeaseDuration/2; a failed claim is
// tried again with backoff), and when on the engine's Clock it tries next
// (the earliest of them). Test environments on a virtual clock (package
// ordotest) advance the clock to it, so that a store fault costs no real
// time.
func (e *Engine) StoreRetryAt() (time.Time, bool) {
	at, ok := e.committer.pendingRetry()
	if c, cok := e.worker.claimRetry(); cok && (!ok || c.Before(at)) {
		return c, true
	}
	return at, ok
}

// Active returns how many instances are executing in this engine right now
// (waiting instances do not count).
func (e *Engine) Active() int { return e.worker.active() }
