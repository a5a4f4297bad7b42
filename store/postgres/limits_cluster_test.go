package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/postgres"
)

// The named limits the "limits" worker setup declares: one step at a
// time, and ten starts per second.
var (
	oneAtATime   = ordo.Limit{Name: "one", Concurrency: 1}
	tenPerSecond = ordo.Limit{Name: "ten", Rate: 10, Per: time.Second}
)

// limitsSetup is the worker setup of the limit tests: the limits declared
// alike on every worker, a short recheck (the waiters of a slot whose
// holder died wait for it), and one workflow per limit whose only step
// names it and calls the side-effect endpoint tagged with its name.
func limitsSetup(cfg *ordo.Config, effects, worker string) []ordo.Definition {
	cfg.Limits = []ordo.Limit{oneAtATime, tenPerSecond}
	cfg.LimitRecheck = 500 * time.Millisecond
	return []ordo.Definition{limitedWorkflow(oneAtATime.Name, effects, worker), limitedWorkflow(tenPerSecond.Name, effects, worker)}
}

// limitedWorkflow is workflow "limit-<limit>": one step, "call", under the
// named limit.
func limitedWorkflow(limit, effects, worker string) *ordo.Workflow[int, int] {
	opts := &ordo.StepOptions{Limit: limit, Retries: &ordo.RetryPolicy{Limit: 5, Delay: 100 * time.Millisecond, Backoff: ordo.BackoffConstant}}
	return ordo.NewWorkflow("limit-"+limit, func(ctx context.Context, n int) (int, error) {
		return ordo.Do(ctx, "call", opts, func(ctx context.Context) (int, error) {
			return n, callEffect(ctx, effects, worker, limit)
		})
	})
}

// TestLimitConcurrencyKilledHolder runs 40 instances whose step holds a
// slot of a limit of one at a time, on three worker processes, and
// SIGKILLs the worker holding the slot at a fixed point: the endpoint
// holds the answer to the 11th call (any worker's), the holder is killed
// while it waits for it. No two calls ever overlap (a killed caller's call
// ends when its process is gone); the next call starts only once the
// dead holder's lease expired; every instance completes, every step's
// side effect is made, repeated at most for the attempt cut off.
func TestLimitConcurrencyKilledHolder(t *testing.T) {
	t.Parallel()
	url, st, effects, effectsURL := clusterSetup(t)
	// Calls long enough that two would overlap if the limit let them.
	effects.setWork(20 * time.Millisecond)
	h := effects.holdAfter("", 10)
	w := startWorkersWith(t, url, effectsURL, "limits", "k0", "k1", "k2")
	wf := limitedWorkflow(oneAtATime.Name, "", "")
	const n = 40
	ids := createN(t, writerEngine(t, st, wf), wf, "one", n)

	killed, victims := killHeld(t, st, effects, w, h, func(call) string { return oneAtATime.Name })
	if len(victims) != 1 {
		t.Errorf("the kill cut off %d calls, want the one holding the slot", len(victims))
	}
	victim := victims[0]

	waitFor(t, 3*time.Minute, "every instance completes", func() bool { return countComplete(t, st) == n })
	stopWorkers(t, othersThan(w, killed)...)

	calls := effects.callsTagged(oneAtATime.Name)
	checkSerial(t, calls, victims)
	cut := checkCalled(t, st, effects, ids)
	counts := effects.counts()
	if counts[victim.key] < 2 {
		t.Errorf("%s's call was cut off by the kill, yet made %d times", victim.key, counts[victim.key])
	}
	t.Logf("%d calls for %d steps; %d attempts counted as cut off, %s's call made %d times",
		len(calls), n, cut, victim.key, counts[victim.key])
}

// killHeld waits until h holds a call, SIGKILLs the worker that made the
// first one held, and releases h once the worker is gone. It returns the
// worker and its calls the kill cut off, each with its instance's dead
// lease. Every call of the worker still open before the kill must be of
// an instance leased to it that holds a slot of the limit slotOf names.
func killHeld(t *testing.T, st *postgres.Store, effects *sideEffects, workers map[string]*worker, h *hold, slotOf func(call) string) (*worker, []cutCall) {
	t.Helper()
	effects.waitHeld(t, h, "the calls before the hold were made")
	effects.mu.Lock()
	var name string
	var open []call
	for _, c := range effects.calls {
		if c.held && name == "" {
			name = c.worker
		}
	}
	for _, c := range effects.calls {
		if c.worker == name && c.end.IsZero() {
			open = append(open, c)
		}
	}
	effects.mu.Unlock()
	// A lease only grows until its worker is gone: read before the kill,
	// it is at most the dead worker's last, so the checks stay sound for
	// an instance taken over before it is read again.
	before := map[string]time.Time{}
	for _, c := range open {
		id, _, _ := strings.Cut(c.key, "/")
		if n := slotsHeld(t, st, slotOf(c), id); n != 1 {
			t.Fatalf("%s waits for its call's answer but holds %d slots of %s, want 1", id, n, slotOf(c))
		}
		owner, expires := leaseOf(t, st, id)
		if owner != name {
			t.Fatalf("%s is leased to %q, yet %s waits for the answer to its call", id, owner, name)
		}
		before[id] = expires
	}
	killed := workers[name]
	killed.signal(syscall.SIGKILL)
	killed.wait(10 * time.Second)
	effects.endCallsOf(name)
	var victims []cutCall
	for _, c := range effects.callsTagged("*") {
		if c.worker != name || !c.cut {
			continue
		}
		id, _, _ := strings.Cut(c.key, "/")
		v := cutCall{call: c, expires: before[id]}
		if owner, expires := leaseOf(t, st, id); owner == name {
			v.expires = expires // the dead worker's last lease: nothing renews it now
		} else {
			t.Logf("%s was taken over by %q before its dead lease was read; checking against the lease read before the kill", id, owner)
		}
		t.Logf("killed %s in %s's call; its lease expires %s after the kill", name, c.key, time.Until(v.expires).Round(time.Millisecond))
		victims = append(victims, v)
	}
	effects.release(h)
	return killed, victims
}

// startWorkersWith starts worker processes of the setup by name, as
// startWorkerWith does.
func startWorkersWith(t *testing.T, url, effects, setup string, names ...string) map[string]*worker {
	t.Helper()
	w := map[string]*worker{}
	for _, name := range names {
		w[name] = startWorkerWith(t, name, url, effects, setup)
	}
	return w
}

// othersThan returns the workers but one.
func othersThan(workers map[string]*worker, one *worker) []*worker {
	var out []*worker
	for _, w := range workers {
		if w != one {
			out = append(out, w)
		}
	}
	return out
}

// cutCall is a call whose caller was killed while it ran, with when the
// caller's lease expired (at the earliest: read before the kill if the
// instance was taken over before it was read after).
type cutCall struct {
	call
	expires time.Time
}

// checkSerial checks that no two calls overlapped: each started after
// every earlier one ended, a victim's (a call whose caller was killed)
// ending when its caller died or, if that was earlier, when its lease
// expired. And it checks that no call started after a victim's before the
// victim's lease expired: the engine frees a dead holder's slot only then.
func checkSerial(t *testing.T, calls []call, victims []cutCall) {
	t.Helper()
	slices.SortFunc(calls, func(a, b call) int { return a.start.Compare(b.start) })
	var busy call // the call that ends last of those started so far
	var busyUntil time.Time
	for i, c := range calls {
		if c.end.IsZero() {
			t.Errorf("call %s by %s never ended", c.key, c.worker)
		}
		if i > 0 && c.start.Before(busyUntil) {
			t.Errorf("call %s by %s started %s before call %s by %s ended: two at once under a limit of one",
				c.key, c.worker, busyUntil.Sub(c.start), busy.key, busy.worker)
		}
		end := c.end
		for _, v := range victims {
			if c.start.After(v.start) && c.start.Before(v.expires) {
				t.Errorf("call %s by %s started %s before the lease of %s's dead holder %s expired",
					c.key, c.worker, v.expires.Sub(c.start), v.key, v.worker)
			}
			if c.key != v.key || !c.start.Equal(v.start) {
				continue
			}
			end = earliest(end, v.expires)
			if i+1 < len(calls) {
				next := calls[i+1]
				t.Logf("the next call after %s's (%s by %s) started %s after the kill, %s after the dead lease expired",
					v.key, next.key, next.worker, next.start.Sub(c.end).Round(time.Millisecond), next.start.Sub(v.expires).Round(time.Millisecond))
			}
		}
		if end.After(busyUntil) {
			busy, busyUntil = c, end
		}
	}
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// checkCalled verifies the end of instances ids of a one-step workflow
// that returns its input: each is complete with its output, and its step
// "call" ran as checkAttempts wants: a call made again after a kill is
// charged as an attempt cut off. It returns how many attempts were
// counted as cut off.
func checkCalled(t *testing.T, st *postgres.Store, effects *sideEffects, ids []string) (cut int) {
	t.Helper()
	counts := effects.counts()
	for i, id := range ids {
		in, err := st.InstanceGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Status != ordo.StatusComplete || string(in.Output) != strconv.Itoa(i) {
			t.Errorf("%s: %s with output %s, want complete with %d", id, in.Status, in.Output, i)
		}
		j, err := st.JournalLoad(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		cut += checkAttempts(t, j, id, "call#1", counts[id+"/call#1"], 1)
	}
	return cut
}

// slotsHeld counts the slots of limit instance id holds.
func slotsHeld(t *testing.T, st *postgres.Store, limit, id string) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM limit_slots WHERE name = $1 AND instance_id = $2`, limit, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// leaseOf returns the owner of instance id's lease and when it expires.
func leaseOf(t *testing.T, st *postgres.Store, id string) (owner string, expires time.Time) {
	t.Helper()
	var exp *time.Time
	if err := st.Pool().QueryRow(context.Background(),
		`SELECT coalesce(lease_owner, ''), lease_expires_at FROM instances WHERE id = $1`, id).Scan(&owner, &exp); err != nil {
		t.Fatal(err)
	}
	if exp != nil {
		expires = *exp
	}
	return owner, expires
}
