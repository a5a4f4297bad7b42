package ordo

import (
	"fmt"
	"strings"
)

// Reservation is the right to create instances of the workflows whose
// names start with a reserved prefix; see Engine.ReservePrefix.
type Reservation struct {
	prefix, hint string
}

// Prefix returns the reserved workflow name prefix.
func (r *Reservation) Prefix() string { return r.prefix }

// ReservePrefix reserves the workflow names that start with prefix for the
// caller: Create refuses to start an instance of such a workflow unless
// CreateOptions.Reservation is the returned Reservation, with an *Error
// matching ErrInvalidArgument that says `workflow "<name>" is reserved:
// <hint>`. A service that checks its workflows' params itself (package
// order, for "flow/") reserves its prefix so that no caller of Create,
// in Go or through the API, starts an instance it did not check. A prefix
// that is empty, or that overlaps one reserved before, wraps
// ErrInvalidArgument or ErrAlreadyExists.
func (e *Engine) ReservePrefix(prefix, hint string) (*Reservation, error) {
	if prefix == "" {
		return nil, fmt.Errorf("%w: the reserved prefix must not be empty", ErrInvalidArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.reserved {
		if strings.HasPrefix(prefix, r.prefix) || strings.HasPrefix(r.prefix, prefix) {
			return nil, fmt.Errorf("%w: workflow prefix %q overlaps the reserved %q", ErrAlreadyExists, prefix, r.prefix)
		}
	}
	r := &Reservation{prefix: prefix, hint: hint}
	e.reserved = append(e.reserved, r)
	return r, nil
}

// checkReserved refuses a create of a reserved workflow without its
// reservation.
func (e *Engine) checkReserved(workflow string, opts *CreateOptions) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, r := range e.reserved {
		if !strings.HasPrefix(workflow, r.prefix) || opts != nil && opts.Reservation == r {
			continue
		}
		msg := fmt.Sprintf("workflow %q is reserved", workflow)
		if r.hint != "" {
			msg += ": " + r.hint
		}
		return &Error{Sentinel: ErrInvalidArgument, Message: msg}
	}
	return nil
}
