package ordo

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors returned by the engine and the HTTP API. Test for them
// with errors.Is.
var (
	// ErrNotFound is returned when a workflow, instance or step does not exist.
	ErrNotFound = errors.New("ordo: not found")
	// ErrAlreadyExists is returned when an instance is created with an ID
	// that is already taken, or a workflow is registered twice.
	ErrAlreadyExists = errors.New("ordo: already exists")
	// ErrInvalidTransition is returned when an operation (pause, resume,
	// terminate, restart) is not allowed in the instance's current status,
	// and by SendEvent for an instance that is complete, errored or
	// terminated.
	ErrInvalidTransition = errors.New("ordo: invalid transition")
	// ErrPayloadTooLarge is returned when params, a step output or an event
	// payload exceeds the configured limit (1 MiB by default).
	ErrPayloadTooLarge = errors.New("ordo: payload too large")
	// ErrInvalidArgument is returned for malformed input: bad JSON, an empty
	// name, an option out of range.
	ErrInvalidArgument = errors.New("ordo: invalid argument")
	// ErrEventTimeout is returned by WaitForEvent when no matching event
	// arrived before the timeout. The workflow may handle it.
	ErrEventTimeout = errors.New("ordo: timed out waiting for event")
	// ErrStepTimeout is the cause of an attempt whose per-attempt timeout
	// elapsed; its context was cancelled at the deadline.
	ErrStepTimeout = errors.New("ordo: step attempt timed out")
	// ErrLimitExceeded is returned when an instance reached one of its
	// limits: SendEvent to an instance that holds Config.MaxEventsPerInstance
	// events, or whose events' payloads would pass
	// Config.MaxEventBytesPerInstance.
	ErrLimitExceeded = errors.New("ordo: limit exceeded")
	// ErrNotFinished is returned by Engine.Delete for an instance that
	// has not finished (queued, running, waiting or paused). The error
	// matches ErrInvalidTransition too.
	ErrNotFinished = errors.New("ordo: instance not finished")
	// ErrStepNotWaiting is returned by CompleteStep and FailStep when the
	// step is not an asynchronous step waiting for its result: it has its
	// result already (or one not taken yet), it failed, or its instance
	// finished. The error matches ErrInvalidTransition too.
	ErrStepNotWaiting = errors.New("ordo: step not waiting")
)

// Error is an error the engine returns to its callers: Message says what
// went wrong in the caller's terms ("instance \"X\" is complete: resume
// needs a paused instance"), without the storage layers it went through.
// It matches Sentinel (ErrNotFound, ErrInvalidTransition, ...) with
// errors.Is; Cause, when set, is the underlying error for logs, which
// errors.Is and errors.As see too.
type Error struct {
	Sentinel error
	Message  string
	Cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Sentinel}
	}
	return []error{e.Sentinel, e.Cause}
}

// callerSentinels are the sentinels whose text Message removes.
var callerSentinels = []error{
	ErrNotFound, ErrAlreadyExists, ErrInvalidTransition, ErrPayloadTooLarge,
	ErrInvalidArgument, ErrLimitExceeded, ErrEventTimeout, ErrStepTimeout, ErrStepNotWaiting,
}

// Message returns err's text for a caller of an API: an *Error's message
// as is, and in any message the sentinel texts that wrapping adds
// ("ordo: not found: workflow \"x\" is not registered" becomes
// "workflow \"x\" is not registered").
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, s := range callerSentinels {
		text := s.Error()
		if msg == text {
			return strings.TrimPrefix(text, "ordo: ")
		}
		msg = strings.ReplaceAll(msg, text+": ", "")
		msg = strings.TrimSuffix(msg, ": "+text)
	}
	return msg
}

// nonRetryableError marks an error so that the engine does not retry the step.
type nonRetryableError struct{ err error }

func (e *nonRetryableError) Error() string { return e.err.Error() }
func (e *nonRetryableError) Unwrap() error { return e.err }

// NonRetryable marks err so that the step that returned it fails at once,
// without further retries. The compensations of finished steps then run if
// the workflow returns the error. NonRetryable(nil) returns nil.
func NonRetryable(err error) error {
	if err == nil {
		return nil
	}
	return &nonRetryableError{err: err}
}

// IsNonRetryable reports whether err, or any error it wraps, was marked with
// NonRetryable.
func IsNonRetryable(err error) bool {
	var nr *nonRetryableError
	return errors.As(err, &nr)
}

// retryAfterError carries the delay a remote service asked for.
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as retryable no sooner than d from now (for example an
// HTTP Retry-After header). The engine waits at least d before the next
// attempt, still within the step's retry limit. RetryAfter(nil, d) returns nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, delay: d}
}

// RetryAfterDelay returns the delay requested with RetryAfter anywhere in
// err's chain, and whether one was found.
func RetryAfterDelay(err error) (time.Duration, bool) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.delay, true
	}
	return 0, false
}

// StepError is returned by Do when a step failed for good: its retries ran
// out, it returned a NonRetryable error, or its last attempt timed out. It is
// also what a replay returns for a step whose failure was recorded.
type StepError struct {
	// Step is the step's name.
	Step string
	// Attempts is how many attempts ran.
	Attempts int
	// Message is the last attempt's error text (kept across restarts).
	Message string
	// Kind classifies the last attempt's error as it was recorded (kept
	// across restarts): ErrorKindStep for an error the step returned,
	// ErrorKindNonRetryable, ErrorKindTimeout, ErrorKindAbandoned,
	// ErrorKindPanic or ErrorKindCutOff. The flags below follow from it.
	Kind ErrorKind
	// NonRetryableFailure is true when the step failed without exhausting
	// its retries because the error was non-retryable.
	NonRetryableFailure bool
	// Timeout is true when the last attempt ended by its timeout.
	Timeout bool
	// Abandoned is true when the last attempt ignored its context: it had
	// not returned Config.AbandonGrace after its timeout, so the engine
	// stopped waiting for it (error kind "abandoned"). Timeout and
	// NonRetryableFailure are then true as well.
	Abandoned bool
	cause     error
}

// setFlags sets the flags that follow from e.Kind.
func (e *StepError) setFlags() {
	e.Abandoned = e.Kind == ErrorKindAbandoned
	e.Timeout = e.Kind == ErrorKindTimeout || e.Abandoned
	e.NonRetryableFailure = e.Kind == ErrorKindNonRetryable || e.Abandoned
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %q failed after %d attempt(s): %s", e.Step, e.Attempts, e.Message)
}

// Unwrap returns the original error when the failure happened in this
// process; after a restart only Message is known.
func (e *StepError) Unwrap() error { return e.cause }
