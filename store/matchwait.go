package store

import (
	"context"
	"fmt"
	"time"
)

// MatchStore is an optional capability of a backend that also implements
// PublishStore: published events reach the instances whose matched wait
// (EventMatch) they satisfy. Discover it with a type assertion:
//
//	ms, ok := st.(store.MatchStore)
//
// A wait is recorded by WaitMatchBegin; from then on, each event
// EventPublish stores (created, not a duplicate) whose type and payload
// satisfy the wait is copied, in the publish's transaction, into the
// events of the wait's instance as EventSend stores an event (a waiting
// instance is made due at once), unless the instance is finished or the
// wait's step is completed or failed. A published event is copied to an
// instance at most once, whichever waits it satisfies, so it is received
// by at most one wait of that instance.
type MatchStore interface {
	// WaitMatchBegin records that p.InstanceID, leased with p.LeaseToken
	// (ErrLeaseLost otherwise), waits in step p.StepKey for events
	// satisfying p.Match (recording it again replaces it), and, in the same
	// transaction, copies into the instance's events the published events
	// of p.Match.Type published at or after p.Since that satisfy it and
	// were not copied to the instance before: oldest first, at most
	// MaxMatchCopies. It returns the copies.
	WaitMatchBegin(ctx context.Context, p *WaitMatchParams) ([]*Event, error)
}

// MaxMatchCopies bounds the published events one WaitMatchBegin copies.
const MaxMatchCopies = 100

// WaitMatchParams are the arguments of MatchStore.WaitMatchBegin.
type WaitMatchParams struct {
	InstanceID string
	LeaseToken string
	StepKey    string
	Match      EventMatch
	// Since starts the look-back window: events published before it are
	// not copied.
	Since time.Time
	// Now is the copies' creation time (the wall clock when zero).
	Now time.Time
}

// ValidateWaitMatch checks p before a backend stores it.
func ValidateWaitMatch(p *WaitMatchParams) error {
	if p == nil || p.InstanceID == "" || p.StepKey == "" {
		return &Error{Err: ErrInvalidArgument, Message: "wait match: instance and step key are required"}
	}
	if err := ValidateMatch(p.Match); err != nil {
		return fmt.Errorf("wait match %q of %q: %w", p.StepKey, p.InstanceID, err)
	}
	return nil
}

// WaitLive reports whether a recorded wait still receives published
// events: its instance is not finished and its step is neither completed
// nor failed (stepStatus "" when the step is not recorded yet).
func WaitLive(status InstanceStatus, stepStatus StepStatus) bool {
	return !status.Terminal() && stepStatus != StepCompleted && stepStatus != StepFailed
}
