package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// perKeyKeys is how many concurrency keys the per-key test's instances
// share.
const perKeyKeys = 4

// keyOf is the concurrency key of the per-key test's instance with input n.
func keyOf(n int) string { return fmt.Sprintf("key-%d", n%perKeyKeys) }

// perKeySetup is the worker setup of the per-key test: its workflow and a
// short recheck (the waiters of a key whose holder died wait for it).
func perKeySetup(cfg *ordo.Config, effects, worker string) []ordo.Definition {
	cfg.LimitRecheck = 500 * time.Millisecond
	return []ordo.Definition{perKeyWorkflow(effects, worker)}
}

// perKeyWorkflow is workflow "per-key": one instance per key at once
// (WithConcurrency), whose step "call" calls the side-effect endpoint
// tagged with the key.
func perKeyWorkflow(effects, worker string) *ordo.Workflow[int, int] {
	opts := &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 5, Delay: 100 * time.Millisecond, Backoff: ordo.BackoffConstant}}
	return ordo.NewWorkflow("per-key", func(ctx context.Context, n int) (int, error) {
		return ordo.Do(ctx, "call", opts, func(ctx context.Context) (int, error) {
			return n, callEffect(ctx, effects, worker, keyOf(n))
		})
	}).WithConcurrency(ordo.Concurrency[int]{Key: keyOf, Limit: 1})
}

// TestWorkflowConcurrencyKilledHolder runs 32 instances of a workflow
// limited to one instance per key at once, on 4 keys and three worker
// processes, and SIGKILLs a worker at a fixed point: the endpoint holds
// the answers from the 11th call on, the worker that made the first one
// held is killed while its calls wait. No two calls of one key ever
// overlap (a killed caller's call ends when its process is gone), and no
// call of a key whose holder was killed starts before the dead lease
// expired, while the other keys go on; every instance completes, every
// step's side effect is made, repeated at most for the attempts cut off.
func TestWorkflowConcurrencyKilledHolder(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	// Calls long enough that two of a key would overlap if the limit let
	// them.
	effects.setWork(20 * time.Millisecond)
	h := effects.holdAfter("", 10)
	w := startWorkersWith(t, url, effectsURL, "per-key", "c0", "c1", "c2")
	wf := perKeyWorkflow("", "")
	const n = 8 * perKeyKeys
	ids := createN(t, writerEngine(t, st, wf), wf, "key", n)

	killed, victims := killHeld(t, st, effects, w, h, func(c call) string { return store.WorkflowLimitName("per-key", c.tag) })
	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, othersThan(w, killed)...)

	for k := range perKeyKeys {
		key := keyOf(k)
		var mine []cutCall
		for _, v := range victims {
			if v.tag == key {
				mine = append(mine, v)
			}
		}
		calls := effects.callsTagged(key)
		if len(calls) < n/perKeyKeys {
			t.Errorf("%d calls of key %s, want at least %d", len(calls), key, n/perKeyKeys)
		}
		checkSerial(t, calls, mine)
	}
	// A run refused its key's slot ends before its steps replay; the
	// attempt its dead worker was running is charged by the run that gets
	// the slot (the concurrency wait entry carries it).
	cut := checkCalled(t, st, effects, ids)
	counts := effects.counts()
	var repeated []string
	for _, v := range victims {
		if counts[v.key] < 2 {
			t.Errorf("%s's call was cut off by the kill, yet made %d times", v.key, counts[v.key])
		}
		repeated = append(repeated, fmt.Sprintf("%s %d times", v.key, counts[v.key]))
	}
	t.Logf("%d calls for %d steps; %d attempts counted as cut off; made again after the kill: %s",
		sumValues(counts), n, cut, strings.Join(repeated, ", "))
}
