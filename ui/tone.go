package ui

import (
	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// tone is what a status means to an operator, which picks its badge's
// colour: an order's status is the flow's own word ("In production",
// "Failed"), so its colour comes from the flow, not from its spelling.
type tone string

// The tones of status badges (CSS classes t-ok, t-fail, ...).
const (
	toneOK        tone = "ok"        // finished as the flow meant: green
	toneFail      tone = "fail"      // errored, terminated, or finished through an onError path: red
	toneActive    tone = "active"    // queued, running or waiting: blue
	toneHeld      tone = "held"      // paused: amber
	toneCancelled tone = "cancelled" // cancelled: grey
)

// instanceTone is the meaning of an instance status.
func instanceTone(s ordo.Status) tone {
	switch s {
	case ordo.StatusComplete:
		return toneOK
	case ordo.StatusErrored, ordo.StatusTerminated:
		return toneFail
	case ordo.StatusPaused:
		return toneHeld
	case ordo.StatusCancelled:
		return toneCancelled
	}
	return toneActive
}

// orderTone is the meaning of an order's status, from its instance's
// status and its flow:
//
//   - an errored or terminated instance is a failure, a cancelled one is
//     cancelled, a paused one held, a queued, running or waiting one active
//     (whatever the order's status says);
//   - a complete instance is a success unless the order got there through
//     an onError path: a step of its journal failed for good (failedStep),
//     or its status is one of the flow's failure statuses (see
//     failureStatuses), which also decides for lists, where the journal
//     is not read.
//
// def may be nil (the flow version could not be read): the journal alone
// decides then.
func orderTone(def *flow.Definition, inst ordo.Status, status string, failedStep bool) tone {
	if inst != ordo.StatusComplete {
		return instanceTone(inst)
	}
	if failedStep || failureStatuses(def)[status] {
		return toneFail
	}
	return toneOK
}

// failureStatuses returns the statuses of a flow that mean the order
// failed: those set (successStatus) by a step reachable from the target of
// an onError edge, following both edges, and by no step of the success
// path (from the first step, following onSuccess only). For the seed's
// flow that is "Failed", set by its "error" step.
func failureStatuses(def *flow.Definition) map[string]bool {
	if def == nil || len(def.Steps) == 0 {
		return nil
	}
	reach := func(starts []string, both bool) map[string]bool {
		seen := map[string]bool{}
		for len(starts) > 0 {
			id := starts[len(starts)-1]
			starts = starts[:len(starts)-1]
			sd := def.Step(id)
			if sd == nil || seen[id] {
				continue
			}
			seen[id] = true
			if sd.OnSuccess != "" {
				starts = append(starts, sd.OnSuccess)
			}
			if both && sd.OnError != "" {
				starts = append(starts, sd.OnError)
			}
		}
		return seen
	}
	var errTargets []string
	for _, sd := range def.Steps {
		if sd.OnError != "" {
			errTargets = append(errTargets, sd.OnError)
		}
	}
	success := map[string]bool{}
	for id := range reach([]string{def.First().ID}, false) {
		success[def.Step(id).SuccessStatus] = true
	}
	out := map[string]bool{}
	for id := range reach(errTargets, true) {
		if s := def.Step(id).SuccessStatus; s != "" && !success[s] {
			out[s] = true
		}
	}
	return out
}

// journalFailed reports whether a step of the journal failed for good,
// which in a complete order flow means its onError path ran.
func journalFailed(steps []*store.Step) bool {
	for _, st := range steps {
		if st.Status == store.StepFailed {
			return true
		}
	}
	return false
}
