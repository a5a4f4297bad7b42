package ordo

import (
	"context"
	"errors"
	"time"

	"github.com/ordohq/ordo/store"
)

// Future is a step started with Go: it runs concurrently with other steps
// and is awaited with Get or Await.
type Future[Out any] struct {
	r    *run
	name string
	done chan struct{}
	res  *stepResult
	err  error // a call error (bad options, outside a workflow)
}

// Awaitable is implemented by every *Future; see Await.
type Awaitable interface {
	wait() *stepResult
}

// Go starts a step like Do without waiting for it. Steps started together
// run in parallel, each persisted on its own; the order of Go calls fixes
// their identities, so a replay after a restart matches them again. Await
// them with Get or Await. A failure of one follows the same retry rules as
// Do; when the workflow then returns an error, compensations of all finished
// steps run.
func Go[Out any](ctx context.Context, name string, opts *StepOptions, fn func(ctx context.Context) (Out, error)) *Future[Out] {
	return goStep[Out](ctx, name, opts, erase(fn), nil)
}

// GoWithCompensation is Go for a step with a compensation (see
// DoWithCompensation).
func GoWithCompensation[Out, C any](ctx context.Context, name string, opts *StepOptions,
	fn func(ctx context.Context) (Out, C, error), compensate func(ctx context.Context, data C) error) *Future[Out] {
	return goStep[Out](ctx, name, opts, eraseComp(fn), eraseCompensate(compensate, opts.compensation()))
}

func goStep[Out any](ctx context.Context, name string, opts *StepOptions, fn stepFunc, comp *compensation) *Future[Out] {
	f := &Future[Out]{name: name, done: make(chan struct{})}
	r, err := runFrom(ctx)
	if err != nil {
		f.err = err
		close(f.done)
		return f
	}
	f.r = r
	call, err := r.newCall(name, store.KindDo, opts, fn, comp)
	if err != nil {
		f.err = err
		close(f.done)
		return f
	}
	res := r.resolve(call)
	if res == nil || res.retryAt != nil {
		r.replayEnd()
	}
	if res != nil {
		f.res = res
		close(f.done)
		return f
	}
	r.inflight.Add(1)
	go func() {
		defer r.inflight.Done()
		defer close(f.done)
		for {
			res := r.runStep(call)
			if res.retryAt != nil && !res.retryAt.After(r.now()) && r.stopReason() == nil {
				continue
			}
			f.res = res
			return
		}
	}()
	return f
}

func (f *Future[Out]) wait() *stepResult {
	<-f.done
	if f.err != nil {
		return &stepResult{err: f.err}
	}
	return f.res
}

// Get waits for the step and returns its output, like Do.
func (f *Future[Out]) Get(ctx context.Context) (Out, error) {
	res := f.wait()
	if f.err != nil {
		var zero Out
		return zero, f.err
	}
	raw, err := f.r.settle(res)
	if err != nil {
		var zero Out
		return zero, err
	}
	return decodeOutput[Out](f.name, raw)
}

// Await waits for all futures, then returns nil or the joined errors of the
// ones that failed. If any needs a retry later, the instance waits (without
// holding a worker) until the earliest one is due; the others' results are
// kept.
func Await(ctx context.Context, fs ...Awaitable) error {
	var errs []error
	var stop error
	var wake *time.Time
	var r *run
	for _, f := range fs {
		res := f.wait()
		if ff, ok := f.(interface{ owner() *run }); ok && ff.owner() != nil {
			r = ff.owner()
		}
		switch {
		case res.stop != nil:
			stop = res.stop
		case res.retryAt != nil:
			if wake == nil || res.retryAt.Before(*wake) {
				wake = res.retryAt
			}
		case res.err != nil:
			errs = append(errs, res.err)
		}
	}
	if r != nil {
		switch {
		case stop != nil:
			_, _ = r.settle(&stepResult{stop: stop}) // panics to unwind: never returns
		case wake != nil:
			_, _ = r.settle(&stepResult{retryAt: wake}) // panics to unwind: never returns
		}
	}
	return errors.Join(errs...)
}

func (f *Future[Out]) owner() *run { return f.r }
