package store

import "fmt"

// The bounds of an instance's priority (InstanceCreateParams.Priority).
// 0 is the default; a claim takes the queued instances of higher priority
// first and, within one priority, the oldest first.
const (
	MinPriority = -100
	MaxPriority = 100
)

// ValidatePriority checks a priority against MinPriority..MaxPriority; an
// out-of-range one is an *Error matching ErrInvalidArgument with Field
// "priority".
func ValidatePriority(p int) error {
	if p < MinPriority || p > MaxPriority {
		return &Error{Err: ErrInvalidArgument, Field: "priority",
			Message: fmt.Sprintf("priority: must be between %d and %d, got %d", MinPriority, MaxPriority, p)}
	}
	return nil
}

// QueueBefore reports whether the queued instance a is claimed before b:
// higher Priority first, then the older (CreatedAt), then the smaller ID.
// It is the order the SQL backends' claims read through their
// instances_queue index.
func QueueBefore(a, b *Instance) bool {
	switch {
	case a.Priority != b.Priority:
		return a.Priority > b.Priority
	case !a.CreatedAt.Equal(b.CreatedAt):
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}
