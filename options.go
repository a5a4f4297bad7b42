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
