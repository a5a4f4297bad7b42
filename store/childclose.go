package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Closing a parent: a terminate or cancel of an instance applies, in its
// transaction, each running child's ChildPolicy (terminate it, cancel it,
// or leave it), and so on down to the children's children, so no crash
// between the parent's action and its children's can leave them running.
// The backends list the children and apply the actions; CloseChildren
// decides them.

// ChildEndNotify is the event a child's end (status, with its output or
// error, at now) sends its parent, for Update.Notify or
// ControlParams.Notify; nil for an instance that is no child.
func ChildEndNotify(in *Instance, status InstanceStatus, output json.RawMessage, ei *ErrorInfo, now time.Time) []*EventSendParams {
	if in.ParentID == "" {
		return nil
	}
	payload, err := json.Marshal(ChildResult{ID: in.ID, Status: status, Output: output, Error: ei})
	if err != nil {
		return nil
	}
	return []*EventSendParams{{InstanceID: in.ParentID, Type: ChildResultType(in.ID), Payload: payload, Now: now}}
}

// TerminatedError is the error a terminate leaves on an instance's end as
// its parent learns it (ChildResult.Error).
func TerminatedError() *ErrorInfo {
	return &ErrorInfo{Message: "terminated", Kind: ErrorKindTerminated}
}

// ChildControl is the action closing a parent (p, a terminate or cancel
// the backend just applied to p.InstanceID) takes on its child c: per c's
// ChildPolicy a terminate, with the child's end for its parent (Notify),
// or a cancel; at p's time, by p's actor, with a reason naming the parent
// and an audit entry of its own. nil when the policy leaves the child
// running (abandon), when c has finished, and for other actions.
func ChildControl(p *ControlParams, c *Instance) *ControlParams {
	if p.Action != ActionTerminate && p.Action != ActionCancel || c.Status.Terminal() {
		return nil
	}
	var action ControlAction
	switch c.ChildPolicy {
	case ChildTerminate, "":
		action = ActionTerminate
	case ChildCancel:
		action = ActionCancel
	default:
		return nil
	}
	past := "terminated"
	if p.Action == ActionCancel {
		past = "cancelled"
	}
	why := fmt.Sprintf("parent %s %s", p.InstanceID, past)
	if p.Reason != "" {
		why += ": " + p.Reason
	}
	cp := &ControlParams{InstanceID: c.ID, Action: action, Reason: why, Now: p.Now}
	if p.Audit != nil {
		cp.Audit = &Action{At: p.Now, Actor: p.Audit.Actor, Action: string(action), InstanceID: c.ID, Reason: why}
	}
	if action == ActionTerminate {
		cp.Notify = ChildEndNotify(c, StatusTerminated, nil, TerminatedError(), p.Now)
	}
	return cp
}

// CloseChildren applies ChildControl to each of children, the instances
// whose ParentID is p.InstanceID, through control: the backend's action
// in the transaction of p's (it writes the entry's audit and closes that
// child's own children in turn, by calling CloseChildren again). A child
// that refuses its action (ErrInvalidTransition: it is already being
// cancelled) is left as it is; any other error fails the whole action.
// The children are closed in ID order.
func CloseChildren(p *ControlParams, children []*Instance, control func(*ControlParams) error) error {
	sort.Slice(children, func(i, j int) bool { return children[i].ID < children[j].ID })
	for _, c := range children {
		cp := ChildControl(p, c)
		if cp == nil {
			continue
		}
		if err := control(cp); err != nil && !errors.Is(err, ErrInvalidTransition) {
			return fmt.Errorf("close child %q: %w", c.ID, err)
		}
	}
	return nil
}
