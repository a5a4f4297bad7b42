package store

import (
	"fmt"
	"time"
)

// CheckControl reports whether action is allowed on an instance in status
// (the rules of the ControlAction constants): nil, a *TransitionError, or
// an *Error matching ErrInvalidArgument for an unknown action. Every
// backend calls it inside the transaction that applies the action.
func CheckControl(instanceID string, action ControlAction, status InstanceStatus) error {
	var ok bool
	switch action {
	case ActionPause:
		ok = status == StatusQueued || status == StatusRunning || status == StatusWaiting
	case ActionResume:
		ok = status == StatusPaused
	case ActionTerminate:
		ok = !status.Terminal()
	case ActionRestart:
		ok = true
	case ActionCancel:
		ok = status == StatusQueued || status == StatusRunning || status == StatusWaiting || status == StatusPaused
	case ActionCompensationRetry, ActionCompensationDone, ActionCompensationSkip:
		ok = status == StatusErrored || status == StatusCancelled
	default:
		return &Error{Err: ErrInvalidArgument, Message: fmt.Sprintf("unknown control action %q", action)}
	}
	if !ok {
		return &TransitionError{InstanceID: instanceID, Op: string(action), Status: status}
	}
	return nil
}

// CheckAction is CheckControl for the action p describes: besides its
// rules, a cancel with p.AfterCompletion is also allowed from complete.
// Every backend calls it inside the transaction that applies the action.
func CheckAction(p *ControlParams, status InstanceStatus) error {
	if p.Action == ActionCancel && p.AfterCompletion && status == StatusComplete {
		return nil
	}
	return CheckControl(p.InstanceID, p.Action, status)
}

// RestartCompensated is the error of a restart from step that would keep
// a step whose compensation already completed.
func RestartCompensated(instanceID string, status InstanceStatus, step string) error {
	return &TransitionError{InstanceID: instanceID, Op: string(ActionRestart), Status: status,
		Reason: fmt.Sprintf("restart from step %q is refused: an earlier step was already compensated (undone); "+
			"to run the compensated steps again as well, restart with rerunCompensated (RestartOptions.AllowCompensated)", step)}
}

// RestartUnknownStep is the error of a restart from a step the instance's
// journal does not hold. It matches ErrNotFound.
func RestartUnknownStep(instanceID, step string) error {
	return &Error{Err: ErrNotFound,
		Message: fmt.Sprintf("instance %q has no step %q to restart from", instanceID, step)}
}

// CheckEvent reports whether an instance in status that holds count events
// of bytes payload bytes accepts p: nil, a *TransitionError for a finished
// instance, or a *LimitError when the event would pass p.MaxEvents or
// p.MaxBytes. Backends call it in the transaction that inserts the event,
// with the instance locked against concurrent sends.
func CheckEvent(p *EventSendParams, status InstanceStatus, count, bytes int64) error {
	if status.Terminal() {
		return &TransitionError{InstanceID: p.InstanceID, Op: OpEvent, Status: status}
	}
	if p.MaxEvents > 0 && count >= int64(p.MaxEvents) {
		return &LimitError{InstanceID: p.InstanceID, Limit: LimitEvents, Max: int64(p.MaxEvents), Have: count}
	}
	size := int64(len(p.Payload))
	if p.MaxBytes > 0 && bytes+size > p.MaxBytes {
		return &LimitError{InstanceID: p.InstanceID, Limit: LimitEventBytes, Max: p.MaxBytes, Have: bytes, Adding: size}
	}
	return nil
}

// CancelRollback is the Rollback a cancel sets on an instance in status
// (CheckControl allowed it), or a *TransitionError when one is already
// pending (pending: the instance's Rollback is set).
func CancelRollback(p *ControlParams, status InstanceStatus, pending bool) (*Rollback, error) {
	if pending {
		return nil, &TransitionError{InstanceID: p.InstanceID, Op: string(ActionCancel), Status: status,
			Reason: "it is already being cancelled or rolled back"}
	}
	msg := "cancelled by an operator"
	if p.Reason != "" {
		msg = "cancelled: " + p.Reason
	}
	return &Rollback{Status: StatusCancelled, At: p.Now,
		Cause: &ErrorInfo{Message: msg, Kind: ErrorKindCancelled}}, nil
}

// CompensationAction applies a compensation action (ActionCompensation*)
// to step, the journal entry p.StepKey of an instance in status with
// error instErr (CheckControl allowed the action). It returns the step's
// new row and the Rollback the instance gets; an unknown step is an
// *Error matching ErrNotFound (step nil), a step whose compensation did
// not fail for good a *TransitionError.
func CompensationAction(p *ControlParams, status InstanceStatus, instErr *ErrorInfo, step *Step) (*Step, *Rollback, error) {
	if step == nil {
		return nil, nil, &Error{Err: ErrNotFound, Message: fmt.Sprintf("instance %q has no step %q", p.InstanceID, p.StepKey)}
	}
	if step.CompensationStatus != CompFailed {
		state := string(step.CompensationStatus)
		if state == "" {
			state = "not needed"
		}
		return nil, nil, &TransitionError{InstanceID: p.InstanceID, Op: string(p.Action), Status: status,
			Reason: fmt.Sprintf("%s needs a compensation that failed for good; step %q's is %s", p.Action, p.StepKey, state)}
	}
	next := *step
	next.History = nil
	actor := "an operator"
	if p.Audit != nil && p.Audit.Actor != "" {
		actor = p.Audit.Actor
	}
	var verb string
	switch p.Action {
	case ActionCompensationRetry:
		verb = "retried"
		at := p.Now
		next.CompensationStatus = CompRetrying
		next.CompensationNextAt = &at
		next.CompensationBase = step.CompensationAttempts
	case ActionCompensationDone:
		verb = "marked done"
		next.CompensationStatus = CompCompleted
		next.CompensationNextAt = nil
	case ActionCompensationSkip:
		verb = "skipped"
		next.CompensationStatus = CompSkipped
		next.CompensationNextAt = nil
	default:
		return nil, nil, &Error{Err: ErrInvalidArgument, Message: fmt.Sprintf("%q is not a compensation action", p.Action)}
	}
	next.CompensationNote = fmt.Sprintf("%s by %s at %s", verb, actor, p.Now.UTC().Format(time.RFC3339))
	if p.Reason != "" {
		next.CompensationNote += ": " + p.Reason
	}
	cause := &ErrorInfo{Message: "rolled back", Kind: ErrorKindWorkflow}
	if instErr != nil {
		c := *instErr
		c.Compensations = nil
		cause = &c
	}
	return &next, &Rollback{Status: status, Cause: cause, At: p.Now}, nil
}
