package ordo

import (
	"context"
	"time"

	"github.com/ordohq/ordo/store"
)

// InstanceReason says why an unfinished instance does not move on, when
// the engine reporting it knows (Instance.Reason).
type InstanceReason string

// Instance reasons.
const (
	// ReasonUnregisteredWorkflow: the instance is queued or waiting, but
	// its workflow is not registered in the running engine reporting it,
	// so no worker of that process will run it (the workflow was renamed
	// or removed, or its code is deployed elsewhere). Register the
	// workflow again, or terminate the instance.
	ReasonUnregisteredWorkflow InstanceReason = "unregistered_workflow"
)

// reason is why in does not move on, as far as this engine knows: only a
// running engine (one that claims work) says so.
func (e *Engine) reason(in *store.Instance) InstanceReason {
	switch in.Status {
	case StatusQueued, StatusWaiting:
	default:
		return ""
	}
	if _, ok := e.workflow(in.Workflow); ok || !e.worker.running() {
		return ""
	}
	return ReasonUnregisteredWorkflow
}

// orphanLogTimeout bounds the count logOrphans makes at start.
const orphanLogTimeout = 30 * time.Second

// logOrphans logs, once, the workflows that have unfinished instances but
// are not registered in this engine, with their counts (a bounded count,
// see store.WorkflowCounter), so that instances nobody will run are seen
// at start rather than as sleeps overdue forever.
func (e *Engine) logOrphans(ctx context.Context) {
	wc, ok := e.store.(store.WorkflowCounter)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, orphanLogTimeout)
	defer cancel()
	counts, truncated, err := wc.UnfinishedWorkflows(ctx)
	if err != nil {
		e.log.Warn("ordo: could not count the instances of unregistered workflows", "err", err)
		return
	}
	var orphans []store.WorkflowCount
	var total int64
	for _, c := range counts {
		if _, ok := e.workflow(c.Workflow); !ok {
			orphans = append(orphans, c)
			total += c.Count
		}
	}
	if len(orphans) == 0 {
		return
	}
	e.log.Warn("ordo: unfinished instances of workflows this engine has not registered; no worker here runs them",
		"workflows", orphans, "instances", total, "counted_at_most", store.MaxCountedInstances, "truncated", truncated)
}
