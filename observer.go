package ordo

import (
	"time"

	"github.com/ordohq/ordo/store"
)

// Observer receives measurements from the engine: the hook package metrics
// (Prometheus) implements, so the engine itself imports no metrics
// library. Set it as Config.Observer.
//
// The engine calls the methods on its own goroutines, often while it holds
// a worker slot or a batch of commits: they must be quick and must not
// block or call back into the engine. Embed NopObserver to implement only
// some of them (and to keep compiling when methods are added).
type Observer interface {
	// ObserveClaim is called when this engine starts running an instance
	// it claimed (or created claimed).
	ObserveClaim(ClaimObservation)
	// ObserveFinish is called when an instance reached a final status
	// here: a run of this engine ended it (complete, errored, cancelled) or
	// an operator's terminate through this engine did.
	ObserveFinish(FinishObservation)
	// ObserveStepAttempt is called once per recorded step attempt, and
	// once per recorded compensation attempt, after its outcome is
	// durable.
	ObserveStepAttempt(StepAttemptObservation)
	// ObserveCommit is called after each write of the group committer
	// (Store.Commit of one batch), failed ones included.
	ObserveCommit(CommitObservation)
	// ObserveLeaseLost is called once per run that lost its instance's
	// lease (another worker owns the instance now).
	ObserveLeaseLost(LeaseLostObservation)
	// ObservePublish is called after an event published through this
	// engine was stored for the first time (a repeated ID is not).
	ObservePublish(PublishObservation)
	// ObserveEventSent is called after an event sent to one instance
	// (SendEvent) was stored.
	ObserveEventSent(EventSentObservation)
	// ObserveReplay is called after Replay delivered stored events to a
	// subscription again, once per Replay call that delivered any. The
	// events were observed when they were first published: only the
	// deliveries are new.
	ObserveReplay(ReplayObservation)
}

// NopObserver implements Observer with methods that do nothing. Embed it
// in an observer that needs only some of the methods.
type NopObserver struct{}

// ObserveClaim does nothing.
func (NopObserver) ObserveClaim(ClaimObservation) {}

// ObserveFinish does nothing.
func (NopObserver) ObserveFinish(FinishObservation) {}

// ObserveStepAttempt does nothing.
func (NopObserver) ObserveStepAttempt(StepAttemptObservation) {}

// ObserveCommit does nothing.
func (NopObserver) ObserveCommit(CommitObservation) {}

// ObserveLeaseLost does nothing.
func (NopObserver) ObserveLeaseLost(LeaseLostObservation) {}

// ObservePublish does nothing.
func (NopObserver) ObservePublish(PublishObservation) {}

// ObserveEventSent does nothing.
func (NopObserver) ObserveEventSent(EventSentObservation) {}

// ObserveReplay does nothing.
func (NopObserver) ObserveReplay(ReplayObservation) {}

// ClaimObservation describes an instance this engine began to run.
type ClaimObservation struct {
	InstanceID string
	Workflow   string
	// Claims is how often the instance was claimed, this claim included:
	// 1 is the instance's first start.
	Claims int
	// ScheduleToStart is how long the instance was due before this claim
	// (store.Instance.DueAt to the claim's time): 0 for an instance Create
	// ran at once, and when the store does not say when it became due.
	ScheduleToStart time.Duration
	// TakenOver is set when the instance was taken from a worker whose
	// lease ran out while it ran (store.Instance.LeaseExpired).
	TakenOver bool
}

// FinishObservation describes an instance that reached a final status.
type FinishObservation struct {
	InstanceID string
	Workflow   string
	// Status is complete, errored, cancelled or terminated.
	Status Status
}

// StepOutcome classifies a step attempt for observers. The values are
// stable: they are Prometheus label values.
type StepOutcome string

// Step attempt outcomes.
const (
	// StepSuccess: the attempt returned a result, now recorded.
	StepSuccess StepOutcome = "success"
	// StepRetryableError: the attempt failed with an ordinary error; the
	// step is retried unless its retries are used up.
	StepRetryableError StepOutcome = "retryable_error"
	// StepNonRetryableError: the attempt failed with an error marked
	// NonRetryable (or an output past the payload limit); the step failed.
	StepNonRetryableError StepOutcome = "non_retryable_error"
	// StepTimeout: the attempt ran past its timeout and returned within
	// the abandon grace.
	StepTimeout StepOutcome = "timeout"
	// StepAbandoned: the attempt ran past its timeout and the grace after
	// it (Config.AbandonGrace); it was left running.
	StepAbandoned StepOutcome = "abandoned"
	// StepCutOff: the attempt was charged for one that a worker which lost
	// its lease may have been running (see Do); it did not run here.
	StepCutOff StepOutcome = "cut_off"
)

// stepOutcome maps the error kind of a recorded attempt to its outcome.
func stepOutcome(ei *store.ErrorInfo) StepOutcome {
	if ei == nil {
		return StepSuccess
	}
	switch ei.Kind {
	case store.ErrorKindNonRetryable:
		return StepNonRetryableError
	case store.ErrorKindTimeout:
		return StepTimeout
	case store.ErrorKindAbandoned:
		return StepAbandoned
	case store.ErrorKindCutOff:
		return StepCutOff
	}
	return StepRetryableError
}

// StepAttemptObservation describes one recorded step attempt.
type StepAttemptObservation struct {
	InstanceID string
	Workflow   string
	// Step is the step's name as given to Do; Key adds its occurrence
	// ("charge#2").
	Step, Key string
	Attempt   int
	Outcome   StepOutcome
	// Compensation is set for an attempt of the step's compensation (its
	// outcome classifies what the compensation returned).
	Compensation bool
	// Duration is how long the attempt ran, by the engine's clock (0 for
	// StepCutOff: nothing ran).
	Duration time.Duration
}

// CommitObservation describes one write of the group committer.
type CommitObservation struct {
	// Updates is how many instances' updates the batch carried.
	Updates int
	// Duration is how long Store.Commit took, in real time.
	Duration time.Duration
	// Err is the failure of the whole batch, nil when it was written (an
	// update refused for its lease does not fail the batch).
	Err error
}

// LeaseLostObservation describes a run that lost its lease.
type LeaseLostObservation struct {
	InstanceID string
	Workflow   string
}

// PublishObservation describes a published event; its Deliveries say what
// the delivery to each subscription did. Observers must not modify it.
type PublishObservation struct {
	Event *PublishedEvent
}

// EventSentObservation describes an event sent to one instance and
// stored (Engine.SendEvent). Observers must not modify it.
type EventSentObservation struct {
	InstanceID string
	// Type is the event's type, as the sender named it.
	Type string
}

// ReplayObservation describes what one Replay call delivered. Observers
// must not modify it.
type ReplayObservation struct {
	// Subscription is the subscription the events were delivered to.
	Subscription string
	// Deliveries are the deliveries made now (events already delivered
	// to the subscription were skipped and are not here).
	Deliveries []*Delivery
}

// observer returns the configured observer, or one that does nothing.
func (c *Config) observer() Observer {
	if c.Observer != nil {
		return c.Observer
	}
	return NopObserver{}
}
