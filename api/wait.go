package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Defaults of Config's waiting limits.
const (
	// DefaultMaxWait is the longest ?wait= a create accepts by default:
	// below the 60 s write timeout of ordo serve, so that the answer still
	// goes out when the wait ends.
	DefaultMaxWait = 50 * time.Second
	// DefaultMaxWaiting is how many requests may wait at once by default.
	DefaultMaxWaiting = 10000
)

// waitPollFirst and waitPollMax space a waiting request's looks at its
// instance in the store, which find the finishes the engine does not
// announce (another worker process finished it, an operator terminated
// it): after 1 s, then twice as long each time, up to 4 s apart.
const (
	waitPollFirst = time.Second
	waitPollMax   = 4 * time.Second
)

// Waiters wakes the requests that wait (?wait=) for instances to finish.
// Give its Notify to the engine as ordo.Config.OnFinish and the Waiters to
// the server as Config.Waiters: a wait then ends as soon as this engine
// finishes the instance, without reading the store in between. Finishes the
// engine does not announce are found by looking at the instance now and
// then (after 1 s, then every 2 s, then every 4 s). A Waiters costs nothing
// while nobody waits.
type Waiters struct {
	n  atomic.Int64 // registered waits; Notify returns at once while 0
	mu sync.Mutex
	m  map[string]*waitEntry
	// ended is closed by EndWaits (the server shuts down).
	endOnce sync.Once
	ended   chan struct{}
}

// waitEntry is the waits on one instance: done closes when it finishes.
type waitEntry struct {
	done chan struct{}
	refs int
}

// NewWaiters returns a Waiters with nobody waiting.
func NewWaiters() *Waiters {
	return &Waiters{m: map[string]*waitEntry{}, ended: make(chan struct{})}
}

// Notify wakes the requests waiting for instance id. It has the signature
// of ordo.Config.OnFinish and never blocks.
func (w *Waiters) Notify(id string, _ ordo.Status) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	if e := w.m[id]; e != nil {
		close(e.done)
		delete(w.m, id)
	}
	w.mu.Unlock()
}

// Waiting returns how many requests wait now.
func (w *Waiters) Waiting() int { return int(w.n.Load()) }

// EndWaits ends every wait, now and later, as if its time were up (the
// server shuts down: register it with http.Server.RegisterOnShutdown).
func (w *Waiters) EndWaits() { w.endOnce.Do(func() { close(w.ended) }) }

// add registers a wait on id, unless max requests wait already. done
// closes when Notify(id) is called; release must be called when the wait
// ends.
func (w *Waiters) add(id string, max int) (done <-chan struct{}, release func(), ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if int(w.n.Load()) >= max {
		return nil, nil, false
	}
	e := w.m[id]
	if e == nil {
		e = &waitEntry{done: make(chan struct{})}
		w.m[id] = e
	}
	e.refs++
	w.n.Add(1)
	return e.done, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		e.refs--
		if e.refs == 0 && w.m[id] == e {
			delete(w.m, id)
		}
		w.n.Add(-1)
	}, true
}

// WaitParam reads a create's ?wait=: absent, it returns false; otherwise a
// Go duration between 0s and Config.MaxWait, or a 400 invalid_argument
// error naming the parameter.
func (s *Server) WaitParam(r *http.Request) (time.Duration, bool, error) {
	if r.URL.RawQuery == "" {
		return 0, false, nil // the usual create: no query to parse
	}
	q := r.URL.Query()
	if !q.Has("wait") {
		return 0, false, nil
	}
	v := q.Get("wait")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > s.cfg.MaxWait {
		return 0, false, badRequest(CodeInvalidArgument, fmt.Sprintf(
			"query parameter wait must be a duration between 0s and %s (such as 30s), got %.40q", s.cfg.MaxWait, v))
	}
	return d, true, nil
}

// WaitFinished waits up to d for instance id to reach a final status
// (complete, errored or terminated), and returns whether it has. The wait
// ends early when ctx ends (the client went away; ctx's error is returned)
// or the server shuts down. Past Config.MaxWaiting concurrent waits it
// looks once and does not wait.
func (s *Server) WaitFinished(ctx context.Context, id string, d time.Duration) (bool, error) {
	if d <= 0 {
		return s.finished(ctx, id)
	}
	done, release, ok := s.waiters.add(id, s.cfg.MaxWaiting)
	if !ok {
		return s.finished(ctx, id)
	}
	defer release()
	// Registered first, then looked: a finish between the create and the
	// registration is seen by this look, a later one by Notify.
	if fin, err := s.finished(ctx, id); fin || err != nil {
		return fin, err
	}
	limit := time.NewTimer(d)
	defer limit.Stop()
	next := waitPollFirst
	poll := time.NewTimer(next)
	defer poll.Stop()
	for {
		select {
		case <-done:
			return true, nil
		case <-limit.C:
			return s.finished(ctx, id)
		case <-s.waiters.ended:
			return s.finished(ctx, id)
		case <-ctx.Done():
			return false, fmt.Errorf("wait for instance %q: %w", id, ctx.Err())
		case <-poll.C:
			if fin, err := s.finished(ctx, id); fin || err != nil {
				return fin, err
			}
			next = min(2*next, waitPollMax)
			poll.Reset(next)
		}
	}
}

// finished looks up whether instance id has a final status (the instance
// row only, not its journal).
func (s *Server) finished(ctx context.Context, id string) (bool, error) {
	inst, err := s.cfg.Engine.Store().InstanceGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, &ordo.Error{Sentinel: ordo.ErrNotFound, Message: fmt.Sprintf("instance %q does not exist", id)}
	}
	if err != nil {
		return false, fmt.Errorf("wait for instance %q: %w", id, err)
	}
	return inst.Status.Terminal(), nil
}

// EndWaits ends the waiting requests (Waiters.EndWaits): register it with
// http.Server.RegisterOnShutdown so that a graceful stop does not wait for
// them.
func (s *Server) EndWaits() { s.waiters.EndWaits() }
