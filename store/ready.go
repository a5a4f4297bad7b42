package store

import (
	"context"
	"fmt"
)

// Readiness is implemented by stores that can tell whether they are ready
// to serve: the database answers and its schema is the one this binary
// knows. A store without it (memory) is always ready.
type Readiness interface {
	// Ready returns nil when the store is ready, else an error naming the
	// reason. Callers bound it with a short timeout.
	Ready(ctx context.Context) error
}

// CheckSchema is the rule the backends' Ready apply to their schema
// version: current must equal latest.
func CheckSchema(current, latest int) error {
	switch {
	case current < latest:
		return fmt.Errorf("migrations are not current: schema version %d, this binary needs %d", current, latest)
	case current > latest:
		return fmt.Errorf("schema version %d is newer than this binary's %d", current, latest)
	}
	return nil
}
