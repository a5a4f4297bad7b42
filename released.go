package ordo

import "sync"

// releases tells waiters that this engine released an instance (it
// finished, suspended or stopped running it here), so that Engine.Wait
// looks again at once instead of on its next poll.
type releases struct {
	mu sync.Mutex
	ch chan struct{}
}

// next returns a channel closed at the next release.
func (r *releases) next() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch == nil {
		r.ch = make(chan struct{})
	}
	return r.ch
}

// broadcast wakes the waiters of next.
func (r *releases) broadcast() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch != nil {
		close(r.ch)
		r.ch = nil
	}
}
