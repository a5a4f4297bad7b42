package ordo

import (
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

// ErrorKind classifies a persisted error (ErrorInfo.Kind, StepError.Kind).
// The kinds and what each means are listed once, at store.ErrorKind; the
// constants below re-export them.
type ErrorKind = store.ErrorKind

// Error kinds, re-exported from package store.
const (
	ErrorKindStep         = store.ErrorKindStep
	ErrorKindNonRetryable = store.ErrorKindNonRetryable
	ErrorKindTimeout      = store.ErrorKindTimeout
	ErrorKindWorkflow     = store.ErrorKindWorkflow
	ErrorKindCompensation = store.ErrorKindCompensation
	ErrorKindPanic        = store.ErrorKindPanic
	ErrorKindTerminated   = store.ErrorKindTerminated
	ErrorKindCancelled    = store.ErrorKindCancelled
	ErrorKindCutOff       = store.ErrorKindCutOff
	ErrorKindAbandoned    = store.ErrorKindAbandoned
	// ErrorKindNonDeterminism: see NonDeterminismError.
	ErrorKindNonDeterminism = store.ErrorKindNonDeterminism
)

// PanicError is a panic recovered from workflow code (Step empty; the
// instance errors with kind ErrorKindPanic) or from a step function (the
// attempt fails with kind ErrorKindPanic and is retried like any failed
// attempt). Find it with errors.As.
type PanicError struct {
	// Step names the step whose function panicked; empty for the
	// workflow function.
	Step string
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack string
}

func (e *PanicError) Error() string {
	if e.Step != "" {
		return fmt.Sprintf("step %q panicked: %v\n%s", e.Step, e.Value, e.Stack)
	}
	return fmt.Sprintf("workflow panicked: %v", e.Value)
}

// CutOffError is the failure recorded (kind ErrorKindCutOff) for a step
// attempt that a worker which then stopped renewing its lease (it crashed
// or froze) may have been running: the worker that takes the instance over
// counts the attempt as failed and retries at once, rather than run the
// step again without a trace. Find it with errors.As.
type CutOffError struct {
	// Step is the step's name; Attempt the attempt counted as cut off.
	Step    string
	Attempt int
}

func (e *CutOffError) Error() string {
	return fmt.Sprintf("attempt %d of step %q may have been cut off: the worker running the instance stopped renewing its lease (crashed or froze)", e.Attempt, e.Step)
}

// kindOf classifies the error of a step attempt.
func kindOf(err error) ErrorKind {
	switch {
	case errors.As(err, new(*abandonedError)):
		return ErrorKindAbandoned
	case errors.Is(err, ErrStepTimeout):
		return ErrorKindTimeout
	case errors.As(err, new(*CutOffError)):
		return ErrorKindCutOff
	case IsNonRetryable(err):
		return ErrorKindNonRetryable
	case errors.As(err, new(*PanicError)):
		return ErrorKindPanic
	}
	return ErrorKindStep
}
