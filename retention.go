package ordo

import (
	"fmt"
	"maps"
	"time"
)

// SetRetention gives workflow a retention period of its own, as
// Workflow.WithRetention does at registration: its finished instances are
// kept for d after they finished (0: forever) instead of the retention's
// default period. The workflow need not be registered (yet). Order flows
// use it for their "retention" field. A negative d wraps
// ErrInvalidArgument.
func (e *Engine) SetRetention(workflow string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: workflow %q: retention %s is negative", ErrInvalidArgument, workflow, d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setRetention(workflow, d)
	return nil
}

// ClearRetention removes workflow's own retention period: its finished
// instances are kept for the retention's default period again.
func (e *Engine) ClearRetention(workflow string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.retention, workflow)
}

// setRetention records workflow's retention; e.mu is held.
func (e *Engine) setRetention(workflow string, d time.Duration) {
	if e.retention == nil {
		e.retention = map[string]time.Duration{}
	}
	e.retention[workflow] = d
}

// Retentions returns the workflows that have a retention period of their
// own (WithRetention, SetRetention), by name; 0 means kept forever.
func (e *Engine) Retentions() map[string]time.Duration {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return maps.Clone(e.retention)
}
