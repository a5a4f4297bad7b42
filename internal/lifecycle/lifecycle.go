// Package lifecycle holds the start-once, stop-safely loop that Ordo's
// background services (the scheduler, the retention service) share.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Loop runs one background goroutine per lifetime: Start starts it once,
// Stop cancels its context and waits for it. The zero Loop is ready.
type Loop struct {
	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start runs fn on its own goroutine with a context that ctx's
// cancellation does not end (only Stop does). It fails if the loop was
// started or stopped before; name begins that error.
func (l *Loop) Start(ctx context.Context, name string, fn func(context.Context)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.stopped {
		return errors.New(name + " already started or stopped")
	}
	l.started = true
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		fn(ctx)
	}()
	return nil
}

// Stop cancels the loop's context and waits for fn to return, or for ctx
// (an error that name begins). Calling it twice, or before Start, is safe.
func (l *Loop) Stop(ctx context.Context, name string) error {
	l.mu.Lock()
	started, stopped := l.started, l.stopped
	l.stopped = true
	l.mu.Unlock()
	if !started || stopped {
		return nil
	}
	l.cancel()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: stop: %w", name, ctx.Err())
	}
}
