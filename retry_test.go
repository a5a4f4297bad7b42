package ordo_test

import (
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// TestJitter: jittered delays spread within [0, Delay].
func TestJitter(t *testing.T) {
	t.Parallel()
	p := ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffConstant, Jitter: true}
	lo, hi := time.Hour, time.Duration(0)
	for range 200 {
		d := p.NextDelay(1)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 0 || hi > time.Second || hi-lo < 500*time.Millisecond {
		t.Fatalf("jittered delays span [%s, %s], want spread within [0, 1s]", lo, hi)
	}
}
