package ordo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is how the delay between attempts grows.
type Backoff string

// Backoff strategies. For the n-th failed attempt (n from 1) and a base
// delay d: constant waits d, linear waits n·d, exponential waits 2^(n-1)·d.
const (
	BackoffConstant    Backoff = "constant"
	BackoffLinear      Backoff = "linear"
	BackoffExponential Backoff = "exponential"
)

// Defaults of a step's retry policy and timeout; they match Cloudflare
// Workflows.
const (
	DefaultRetryLimit  = 5
	DefaultRetryDelay  = 10 * time.Second
	DefaultBackoff     = BackoffExponential
	DefaultStepTimeout = 10 * time.Minute
)

// RetryPolicy says how often and how soon a failed step runs again.
type RetryPolicy struct {
	// Limit is the number of retries after the first attempt (so Limit+1
	// attempts in all). Zero means no retry. Taken literally: use
	// DefaultRetryPolicy() for the defaults.
	Limit int
	// Delay is the base delay before a retry. Default (when zero and
	// Backoff is empty) none: zero means retry at once.
	Delay time.Duration
	// Backoff is the growth of the delay. Default exponential.
	Backoff Backoff
	// MaxDelay caps a single delay. Zero means no cap.
	MaxDelay time.Duration
	// Jitter, if true, picks each delay uniformly in [0, computed delay]
	// ("full jitter"), spreading retries of many instances.
	Jitter bool
}

// DefaultRetryPolicy returns the policy used when a step sets none:
// 5 retries, 10 s base delay, exponential backoff, no cap, no jitter.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Limit: DefaultRetryLimit, Delay: DefaultRetryDelay, Backoff: DefaultBackoff}
}

// NoRetries is a policy with a single attempt.
var NoRetries = &RetryPolicy{Limit: 0}

// Validate reports a policy that cannot be used.
func (p *RetryPolicy) Validate() error {
	if p.Limit < 0 {
		return fmt.Errorf("%w: retries.limit must be >= 0, got %d", ErrInvalidArgument, p.Limit)
	}
	if p.Delay < 0 {
		return fmt.Errorf("%w: retries.delay must be >= 0, got %s", ErrInvalidArgument, p.Delay)
	}
	if p.MaxDelay < 0 {
		return fmt.Errorf("%w: retries.maxDelay must be >= 0, got %s", ErrInvalidArgument, p.MaxDelay)
	}
	switch p.Backoff {
	case "", BackoffConstant, BackoffLinear, BackoffExponential:
	default:
		return fmt.Errorf("%w: retries.backoff must be constant, linear or exponential, got %q", ErrInvalidArgument, p.Backoff)
	}
	return nil
}

// DelayAfter returns the delay before the retry that follows failed attempt
// number attempt (from 1), before jitter.
func (p *RetryPolicy) DelayAfter(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := float64(p.Delay)
	switch p.Backoff {
	case BackoffConstant:
	case BackoffLinear:
		d *= float64(attempt)
	default: // exponential
		d *= math.Pow(2, float64(attempt-1))
	}
	if d > float64(math.MaxInt64/2) {
		d = float64(math.MaxInt64 / 2)
	}
	delay := time.Duration(d)
	if p.MaxDelay > 0 && delay > p.MaxDelay {
		delay = p.MaxDelay
	}
	return delay
}

// NextDelay is DelayAfter with jitter applied when Jitter is set: the delay
// the engine actually waits after failed attempt number attempt.
func (p *RetryPolicy) NextDelay(attempt int) time.Duration {
	d := p.DelayAfter(attempt)
	if p.Jitter && d > 0 {
		d = time.Duration(rand.Int64N(int64(d) + 1))
	}
	return d
}
