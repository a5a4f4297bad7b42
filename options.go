package ordo

import "time"

// StepOptions configure one step. A nil *StepOptions means all defaults.
type StepOptions struct {
	// Retries is the retry policy. Default (nil): DefaultRetryPolicy(),
	// 5 retries, 10 s delay, exponential backoff.
	Retries *RetryPolicy
	// Timeout bounds each attempt; the attempt's context is cancelled at the
	// deadline and the attempt fails with ErrStepTimeout (and is retried if
	// retries remain). Default (zero): DefaultStepTimeout, 10 minutes.
	Timeout time.Duration
	// Wait bounds how long an asynchronous step (DoAsync) waits for its
	// result once its start function returned; past it the attempt fails
	// with ErrStepTimeout and is retried per Retries (its start function
	// runs again). Default (zero): DefaultAsyncWait, 24 hours. Other
	// steps ignore it.
	Wait time.Duration
	// Compensation, if set, are the options of the step's compensation
	// (DoWithCompensation): its retries and timeout. Default (nil): the
	// step's own Retries and Timeout.
	Compensation *StepOptions
	// Limit, if set, names a limit the engine declares (Config.Limits,
	// Engine.DeclareLimit): each attempt of the step waits, without
	// holding a worker slot, until the limit grants it a slot (see Limit).
	// Only Do and DoWithCompensation steps take one; a name the engine
	// does not declare makes the call return an error wrapping
	// ErrInvalidArgument. Default "": no limit.
	Limit string
}

// compensation returns the options of the step's compensation.
func (o *StepOptions) compensation() *StepOptions {
	if o == nil || o.Compensation == nil {
		return o
	}
	return o.Compensation
}

func (o *StepOptions) policy() RetryPolicy {
	if o == nil || o.Retries == nil {
		return DefaultRetryPolicy()
	}
	return *o.Retries
}

func (o *StepOptions) timeout() time.Duration {
	if o == nil || o.Timeout <= 0 {
		return DefaultStepTimeout
	}
	return o.Timeout
}

func (o *StepOptions) wait() time.Duration {
	if o == nil || o.Wait <= 0 {
		return DefaultAsyncWait
	}
	return o.Wait
}
