package store

import "fmt"

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
	default:
		return &Error{Err: ErrInvalidArgument, Message: fmt.Sprintf("unknown control action %q", action)}
	}
	if !ok {
		return &TransitionError{InstanceID: instanceID, Op: string(action), Status: status}
	}
	return nil
}

// RestartCompensated is the error of a restart from step that would keep
// a step whose compensation already completed.
func RestartCompensated(instanceID string, status InstanceStatus, step string) error {
	return &TransitionError{InstanceID: instanceID, Op: string(ActionRestart), Status: status,
		Reason: fmt.Sprintf("restart from step %q is refused: an earlier step was already compensated", step)}
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
