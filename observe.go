package ordo

import (
	"errors"

	"github.com/ordohq/ordo/store"
)

// The engine's calls into Config.Observer, kept here so the run and worker
// code each need one line.

// observeClaim reports an instance this engine starts to run.
func (e *Engine) observeClaim(inst *store.Instance) {
	ob := ClaimObservation{InstanceID: inst.ID, Workflow: inst.Workflow, Claims: inst.Claims, TakenOver: inst.LeaseExpired}
	if inst.DueAt != nil && inst.UpdatedAt.After(*inst.DueAt) {
		// The claim stamped UpdatedAt with its time.
		ob.ScheduleToStart = inst.UpdatedAt.Sub(*inst.DueAt)
	}
	e.obs.ObserveClaim(ob)
}

// observeFinish reports an instance that reached a final status.
func (e *Engine) observeFinish(id, workflow string, status Status) {
	e.obs.ObserveFinish(FinishObservation{InstanceID: id, Workflow: workflow, Status: status})
}

// observeAttempt reports a step attempt once its record is durable.
func (r *run) observeAttempt(c *stepCall, att *store.Attempt) {
	ob := StepAttemptObservation{InstanceID: c.iid, Workflow: c.workflow, Step: c.name, Key: c.key,
		Attempt: att.Number, Outcome: stepOutcome(att.Error)}
	if ob.Outcome != StepCutOff {
		ob.Duration = att.FinishedAt.Sub(att.StartedAt)
	}
	r.e.obs.ObserveStepAttempt(ob)
}

// observeCompensation reports a compensation attempt of step rec once its
// record is durable; err is what the compensation returned.
func (r *run) observeCompensation(rec *store.Step, att *store.Attempt, err error) {
	outcome := StepSuccess
	switch {
	case err == nil:
	case errors.As(err, new(*abandonedError)):
		outcome = StepAbandoned
	case errors.Is(err, ErrStepTimeout):
		outcome = StepTimeout
	case IsNonRetryable(err):
		outcome = StepNonRetryableError
	default:
		outcome = StepRetryableError
	}
	r.e.obs.ObserveStepAttempt(StepAttemptObservation{InstanceID: r.inst.ID, Workflow: r.inst.Workflow,
		Step: rec.Name, Key: rec.Key, Attempt: att.Number, Outcome: outcome, Compensation: true,
		Duration: att.FinishedAt.Sub(att.StartedAt)})
}

// observeLeaseLost reports, once per run, that the run lost its lease.
func (r *run) observeLeaseLost() {
	if r.leaseLostSeen.CompareAndSwap(false, true) {
		r.e.obs.ObserveLeaseLost(LeaseLostObservation{InstanceID: r.inst.ID, Workflow: r.inst.Workflow})
	}
}
