package ordo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

func TestDelayAfterFormula(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p       ordo.RetryPolicy
		attempt int
		want    time.Duration
	}{
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffConstant}, 5, time.Second},
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffLinear}, 5, 5 * time.Second},
		{ordo.RetryPolicy{Delay: time.Second, Backoff: ordo.BackoffExponential}, 5, 16 * time.Second},
		{ordo.RetryPolicy{Delay: time.Second}, 1, time.Second},
		{ordo.RetryPolicy{Delay: time.Second, MaxDelay: 3 * time.Second}, 5, 3 * time.Second},
		{ordo.RetryPolicy{Delay: time.Hour, Backoff: ordo.BackoffExponential}, 200, time.Duration(1<<62) / 1},
	}
	for _, tt := range tests {
		got := tt.p.DelayAfter(tt.attempt)
		if tt.attempt == 200 {
			if got <= 0 {
				t.Errorf("huge exponential delay overflowed: %s", got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%+v attempt %d: got %s want %s", tt.p, tt.attempt, got, tt.want)
		}
	}
	d := ordo.DefaultRetryPolicy()
	if d.Limit != 5 || d.Delay != 10*time.Second || d.Backoff != ordo.BackoffExponential {
		t.Errorf("defaults = %+v", d)
	}
}

func TestReplacedSteps(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	wf := ordo.NewWorkflow("pay", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "payment", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			panic("the real payment must not run in this test")
		})
	})
	env.StepResult("payment", "fake-ok")
	out, _, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != "fake-ok" {
		t.Fatalf("out=%q err=%v", out, err)
	}
	env.StepError("payment", ordo.NonRetryable(errors.New("declined")))
	if _, _, err := ordotest.Run(env, wf, struct{}{}); err == nil {
		t.Fatal("want error")
	}
}
