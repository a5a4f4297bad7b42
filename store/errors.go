package store

import (
	"fmt"
	"strconv"
)

// Error is an error whose Message is written for the engine's callers: it
// names the input and what is wrong, without the storage layers a backend
// wraps around it. It matches Err, one of the sentinels of this package,
// with errors.Is.
type Error struct {
	Err     error
	Message string
	// Field, if set, names the argument at fault as its JSON name
	// ("createdAfter", "attributes"), so that an API can name its
	// parameter.
	Field string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// TransitionError is an operation the instance's status (or journal)
// forbids. It matches ErrInvalidTransition.
type TransitionError struct {
	InstanceID string
	// Op is the refused operation: a ControlAction, or OpEvent.
	Op string
	// Status is the instance's status when it was refused.
	Status InstanceStatus
	// Reason, if set, says why instead of the statuses Op needs.
	Reason string
}

// OpEvent is the TransitionError.Op of an event sent to a finished
// instance.
const OpEvent = "event"

func (e *TransitionError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = opRule(e.Op)
	}
	return fmt.Sprintf("instance %q is %s: %s", e.InstanceID, e.Status, reason)
}

// Is reports whether target is ErrInvalidTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// opRule says which statuses an operation needs (see the ControlAction
// constants).
func opRule(op string) string {
	switch ControlAction(op) {
	case ActionPause:
		return "pause needs a queued, running or waiting instance"
	case ActionResume:
		return "resume needs a paused instance"
	case ActionTerminate:
		return "terminate needs an instance that has not finished"
	case ActionCancel:
		return "cancel needs a queued, running, waiting or paused instance"
	case ActionCompensationRetry, ActionCompensationDone, ActionCompensationSkip:
		return op + " needs an errored or cancelled instance (one still running finishes its compensations first)"
	}
	if op == OpEvent {
		return "a finished instance accepts no events"
	}
	return op + " is not allowed"
}

// Limit names for LimitError.Limit.
const (
	LimitEvents     = "events per instance"
	LimitEventBytes = "event bytes per instance"
)

// LimitError is an event refused because the instance reached one of its
// event limits (EventSendParams.MaxEvents, MaxBytes). It matches
// ErrLimitExceeded.
type LimitError struct {
	InstanceID string
	// Limit is LimitEvents or LimitEventBytes.
	Limit string
	// Max is the limit's value; Have what the instance holds (events or
	// payload bytes); Adding the refused event's payload size.
	Max, Have, Adding int64
}

func (e *LimitError) Error() string {
	if e.Limit == LimitEvents {
		return fmt.Sprintf("instance %q already has %d events, the limit of %s is %d", e.InstanceID, e.Have, e.Limit, e.Max)
	}
	return fmt.Sprintf("instance %q holds %s of event payloads; this event's %s would pass the limit of %s (%d %s)",
		e.InstanceID, byteSize(e.Have), byteSize(e.Adding), byteSize(e.Max), e.Max, e.Limit)
}

// Is reports whether target is ErrLimitExceeded.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// byteSize formats n bytes for a message: "512 bytes", "1.5 MiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
