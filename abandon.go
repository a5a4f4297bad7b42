package ordo

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// abandonedError is the failure recorded (kind "abandoned") for an attempt
// whose function ignored its context: it had not returned a grace period
// after its timeout cancelled it. The engine stops waiting and fails the
// step without a retry, since a retry would run beside the attempt that
// may still be going. It matches ErrStepTimeout.
type abandonedError struct {
	step           string
	attempt        int
	timeout, grace time.Duration
}

func (e *abandonedError) Error() string {
	return fmt.Sprintf("attempt %d of step %q ignored its context: it had not returned %s after its %s timeout, "+
		"so it was abandoned (its goroutine may still be running) and the step is not retried",
		e.attempt, e.step, e.grace, e.timeout)
}

// Unwrap returns ErrStepTimeout.
func (e *abandonedError) Unwrap() error { return ErrStepTimeout }

// abandons keeps count of the step goroutines the engine stopped waiting
// for and logs them, so that a step that ignores its context is never
// running unseen. A change of the count is logged before it is visible:
// whoever reads the new count finds its log line written.
type abandons struct {
	log   *slog.Logger
	clock Clock
	mu    sync.Mutex // held while logging a change of n and making it
	n     int
}

// running returns how many abandoned attempts have not returned yet.
func (a *abandons) running() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// count logs, then applies, a change of delta to the count.
func (a *abandons) count(delta int, logLine func(n int)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	logLine(a.n + delta)
	a.n += delta
}

// add counts an attempt abandoned for reason and logs when its function
// finally returns (its result on done is discarded).
func (a *abandons) add(info StepInfo, done <-chan attemptResult, reason string) {
	a.count(1, func(n int) {
		a.log.Warn("ordo: abandoned a step attempt that ignores its context; its goroutine keeps running",
			LogKeyInstanceID, info.InstanceID, LogKeyWorkflow, info.Workflow, LogKeyStep, info.Key, LogKeyAttempt, info.Attempt,
			"reason", reason, "abandoned_running", n)
	})
	since := a.clock.Now()
	go func() {
		<-done
		a.count(-1, func(n int) {
			a.log.Info("ordo: an abandoned step attempt returned", LogKeyInstanceID, info.InstanceID, LogKeyWorkflow, info.Workflow,
				LogKeyStep, info.Key, LogKeyAttempt, info.Attempt, "after", a.clock.Now().Sub(since), "abandoned_running", n)
		})
	}()
}

// watch waits, without holding the run, for the function of an attempt
// whose run stopped (pause, terminate, shutdown, lost lease) and counts
// it as abandoned if it has not returned within grace. Such an attempt is
// not recorded: the instance runs it again later, or never (terminated).
func (a *abandons) watch(info StepInfo, done <-chan attemptResult, grace time.Duration) {
	go func() {
		t := a.clock.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C():
			a.add(info, done, "the run stopped")
		}
	}()
}

// AbandonedAttempts returns how many step attempts this engine stopped
// waiting for are still running: their functions ignored the
// cancellation of their context past Config.AbandonGrace. Each is logged
// when abandoned and when it returns; a timed-out one is recorded in its
// step's history with error kind "abandoned".
func (e *Engine) AbandonedAttempts() int { return e.abandons.running() }
