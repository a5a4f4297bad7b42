package ordo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

// storeSentinels maps the store's sentinels to the engine's.
var storeSentinels = []struct{ store, ordo error }{
	{store.ErrNotFound, ErrNotFound},
	{store.ErrAlreadyExists, ErrAlreadyExists},
	{store.ErrInvalidTransition, ErrInvalidTransition},
	{store.ErrInvalidArgument, ErrInvalidArgument},
	{store.ErrLimitExceeded, ErrLimitExceeded},
}

// storeError translates an error the store returned to op ("pause instance
// \"X\""). An error matching one of the store's sentinels becomes an *Error
// matching the engine's, with the message the store wrote for callers
// (store.Error, TransitionError, LimitError), else notFound for
// ErrNotFound, else op and the sentinel. Other errors (the database
// failed) are wrapped with op.
func storeError(op string, err error, notFound string) error {
	if err == nil {
		return nil
	}
	cause := fmt.Errorf("%s: %w", op, err)
	for _, m := range storeSentinels {
		if !errors.Is(err, m.store) {
			continue
		}
		msg := callerText(err)
		switch {
		case msg != "":
		case errors.Is(m.store, store.ErrNotFound) && notFound != "":
			msg = notFound
		default:
			msg = op + ": " + strings.TrimPrefix(m.store.Error(), "store: ")
		}
		return &Error{Sentinel: m.ordo, Message: msg, Cause: cause}
	}
	return cause
}

// callerText returns the message a store error wrote for callers, or "".
func callerText(err error) string {
	var (
		te *store.TransitionError
		le *store.LimitError
		se *store.Error
	)
	switch {
	case errors.As(err, &te):
		return te.Error()
	case errors.As(err, &le):
		return le.Error()
	case errors.As(err, &se):
		return se.Message
	}
	return ""
}

// instanceMissing is the message of an instance that does not exist.
func instanceMissing(id string) string {
	return fmt.Sprintf("instance %q does not exist", truncateID(id))
}
