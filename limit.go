package ordo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

// Limit is a named limit on the steps that name it (StepOptions.Limit),
// shared by every engine on the store: all worker processes on one
// PostgreSQL database, all engines on one SQLite file or memory store.
// Declare it in Config.Limits (or with Engine.DeclareLimit); every engine
// that runs such steps should declare it alike.
//
// A step that cannot get a slot does not hold a worker slot while it
// waits: its instance is stored as waiting (the step's journal entry is
// waiting, its CustomStatus says "waiting for limit erp (5 at once)") and
// is claimed again when the limit's window frees a grant, or, for the
// concurrency, when a holder's step ends (its release wakes the oldest
// waiter) and at the latest after Config.LimitRecheck. Waiters are served
// first come, first served (store.DecideLimit): a step is refused while
// the waiters ahead of it fill the free slots, so one arriving while a
// woken waiter is being claimed waits behind it. A waiter keeps its place
// while its instance is queued, running or waiting and tries again within
// twice Config.LimitRecheck.
type Limit struct {
	// Name identifies the limit: 1 to 64 ASCII letters, digits, '.', '_'
	// or '-'. Required.
	Name string
	// Concurrency, if > 0 (at most 10000), is how many steps may run at
	// once: each attempt holds a slot from before it starts until its
	// outcome is committed. A slot held by a worker that dies returns when
	// the instance's lease expires (Config.LeaseDuration). Default 0: no
	// concurrency limit.
	Concurrency int
	// Rate, if > 0 (at most 10000), is how many attempts may start per
	// Per, as a sliding window: an attempt starts at t only if fewer than
	// Rate started in (t-Per, t], so no window of length Per ever holds
	// more than Rate starts, and up to Rate may start at once (the burst)
	// after a quiet Per. Default 0: no rate limit.
	Rate int
	// Per is the rate's window, 1 ms to 24 h; required with Rate.
	Per time.Duration
}

// String describes the limit: "erp (5 at once)", "payments (10 per 1s)".
func (l Limit) String() string { return l.stored().String() }

func (l Limit) stored() store.Limit {
	return store.Limit{Name: l.Name, Concurrency: l.Concurrency, Rate: l.Rate, Per: l.Per}
}

// Validate checks the limit's bounds (see the fields); an error wraps
// ErrInvalidArgument and names the field.
func (l Limit) Validate() error {
	if store.IsWorkflowLimitName(l.Name) {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, &store.Error{Err: store.ErrInvalidArgument, Field: "name",
			Message: fmt.Sprintf("limit name %q may hold only letters, digits, '.', '_' and '-'", l.Name)})
	}
	if err := l.stored().Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return nil
}

// DefaultLimitRecheck is Config.LimitRecheck's default.
const DefaultLimitRecheck = 5 * time.Second

// limitSet is an engine's declared limits.
type limitSet struct {
	mu     sync.RWMutex
	byName map[string]store.Limit
	// fixed are the names from Config.Limits, which DeclareLimit does not
	// replace.
	fixed map[string]bool
}

func newLimitSet(ls []Limit) (*limitSet, error) {
	s := &limitSet{byName: map[string]store.Limit{}, fixed: map[string]bool{}}
	for i, l := range ls {
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("Config.Limits[%d]: %w", i, err)
		}
		if s.fixed[l.Name] {
			return nil, fmt.Errorf("%w: Config.Limits[%d]: limit %q is declared twice", ErrInvalidArgument, i, l.Name)
		}
		s.byName[l.Name], s.fixed[l.Name] = l.stored(), true
	}
	return s, nil
}

func (s *limitSet) get(name string) (store.Limit, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.byName[name]
	return l, ok
}

// DeclareLimit adds the limit l to the engine, or replaces the one of its
// name that an earlier DeclareLimit declared (a flow document's limits
// are declared this way when it is loaded). A limit of Config.Limits is
// kept as configured: DeclareLimit of its name does nothing. An invalid l
// is an error wrapping ErrInvalidArgument; a store without
// store.LimitStore is one wrapping ErrUnsupported.
func (e *Engine) DeclareLimit(l Limit) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if _, ok := e.store.(store.LimitStore); !ok {
		return fmt.Errorf("%w: the store (%T) has no named limits (store.LimitStore)", errors.ErrUnsupported, e.store)
	}
	e.limits.mu.Lock()
	defer e.limits.mu.Unlock()
	if !e.limits.fixed[l.Name] {
		e.limits.byName[l.Name] = l.stored()
	}
	return nil
}

// Limits returns the engine's declared limits, in no particular order.
func (e *Engine) Limits() []Limit {
	e.limits.mu.RLock()
	defer e.limits.mu.RUnlock()
	out := make([]Limit, 0, len(e.limits.byName))
	for _, l := range e.limits.byName {
		out = append(out, Limit{Name: l.Name, Concurrency: l.Concurrency, Rate: l.Rate, Per: l.Per})
	}
	return out
}

// limitOf returns the limit step call c names, if any, or an error for a
// name the engine does not declare.
func (r *run) limitOf(name string, opts *StepOptions) (*store.Limit, error) {
	if opts == nil || opts.Limit == "" {
		return nil, nil
	}
	l, ok := r.e.limits.get(opts.Limit)
	if !ok {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("step %q names limit %q, which this engine does not declare (Config.Limits)", name, opts.Limit)}
	}
	return &l, nil
}

// LimitWaitStatus is the CustomStatus of a step's journal entry while it
// waits for limit l: "waiting for limit erp (5 at once)".
func LimitWaitStatus(l Limit) string { return "waiting for limit " + l.String() }

// acquireLimit takes a slot of c's limit for the attempt about to run; a
// nil result means run it. Refused, it records the step as waiting (with
// its previous record prev, if any) and returns the result that suspends
// the instance until the limit's answer says.
func (r *run) acquireLimit(c *stepCall, prev *store.Step, started time.Time) *stepResult {
	ls := r.e.store.(store.LimitStore) // checked by NewEngine
	ctx, cancel := context.WithTimeout(r.ctx, time.Minute)
	defer cancel()
	g, err := ls.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: *c.limit, InstanceID: c.iid, StepKey: c.key,
		LeaseToken: r.inst.LeaseToken, Now: r.now(), Recheck: r.e.cfg.LimitRecheck})
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		r.observeLeaseLost()
		return &stepResult{stop: errLeaseLost}
	case err != nil:
		if cause := r.stopReason(); cause != nil {
			return &stepResult{stop: cause}
		}
		return &stepResult{stop: fmt.Errorf("step %q: limit %q: %w", c.key, c.limit.Name, err)}
	case g.Granted:
		return nil
	}
	step := &store.Step{InstanceID: c.iid, Key: c.key, Name: c.name, Seq: c.seq, Ordinal: c.ordinal,
		Kind: store.KindDo, StartedAt: started}
	if prev != nil {
		cp := *prev
		cp.History = nil
		step = &cp
	}
	r.refused(c.limit, g)
	wake := g.RetryAt
	step.Status, step.WakeAt, step.NextAttemptAt = store.StepWaiting, &wake, nil
	step.CustomStatus = LimitWaitStatus(Limit{Name: c.limit.Name, Concurrency: c.limit.Concurrency, Rate: c.limit.Rate, Per: c.limit.Per})
	r.logger().Info("ordo: step waits for its limit", LogKeyStep, c.key, "limit", c.limit.Name, "full", g.Full, "retry_at", wake)
	r.addPending(step)
	return &stepResult{retryAt: &wake}
}

// releaseLimit frees the slot of c's concurrency limit after its attempt's
// outcome was committed (the commit freed it already; this wakes the
// oldest waiter at once). A failure only costs the waiters their recheck.
func (r *run) releaseLimit(c *stepCall) {
	if c.limit == nil || c.limit.Concurrency == 0 {
		return
	}
	ls := r.e.store.(store.LimitStore)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	woke, err := ls.LimitRelease(ctx, &store.LimitReleaseParams{Limit: c.limit.Name, InstanceID: c.iid, StepKey: c.key,
		Now: r.now(), Concurrency: c.limit.Concurrency})
	if err != nil {
		r.logger().Warn("ordo: releasing a limit slot failed; its waiters wait for their recheck", LogKeyStep, c.key, "limit", c.limit.Name, "err", err)
		return
	}
	if woke {
		r.e.worker.notify()
	}
}

// refused notes that limit l refused a step of this run with g; one
// refused by the concurrency wakes the limit's line when the run ends
// (nudgeLimits).
func (r *run) refused(l *store.Limit, g *store.LimitGrant) {
	if l.Concurrency == 0 || !strings.Contains(g.Full, "concurrency") {
		return
	}
	r.mu.Lock()
	r.refusedBy = append(r.refusedBy, *l)
	r.mu.Unlock()
}

// nudgeLimits runs when the run has ended, its refusals stored: for each
// limit whose concurrency refused a step of the run, it wakes the waiters
// that the limit's free slots serve. Waiters are served in order, so a
// slot freed while a refused step was on its way to waiting (its instance
// still running, which no release wakes) would otherwise stay unused
// until the step's recheck. A failure only costs the waiters their
// recheck.
func (r *run) nudgeLimits() {
	r.mu.Lock()
	limits := r.refusedBy
	r.refusedBy = nil
	r.mu.Unlock()
	if len(limits) == 0 {
		return
	}
	ls := r.e.store.(store.LimitStore)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	woke := false
	for _, l := range limits {
		w, err := ls.LimitRelease(ctx, &store.LimitReleaseParams{Limit: l.Name, InstanceID: r.inst.ID,
			StepKey: store.LimitNudgeKey, Now: r.now(), Concurrency: l.Concurrency})
		if err != nil {
			r.logger().Warn("ordo: waking a limit's waiters failed; they wait for their recheck", "limit", l.Name, "err", err)
			continue
		}
		woke = woke || w
	}
	if woke {
		r.e.worker.notify()
	}
}
