package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// limitBackend is a store with named step limits.
type limitBackend interface {
	store.Store
	store.LimitStore
}

// RunLimits runs the store.LimitStore suite; open must return a new, empty
// store implementing store.LimitStore.
func RunLimits(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[limitBackend]{
		{"Concurrency", testLimitConcurrency},
		{"LeaseEnds", testLimitLeaseEnds},
		{"Rate", testLimitRate},
		{"RateLateClock", testLimitRateLateClock},
		{"ReleaseWakes", testLimitReleaseWakes},
		{"ReleaseToken", testLimitReleaseToken},
		{"Refuses", testLimitRefuses},
		{"ConcurrentAcquirers", testLimitConcurrentAcquirers},
		{"WaitersInOrder", testLimitWaitersInOrder},
		{"WaiterLosesPlace", testLimitWaiterLosesPlace},
		{"NudgeAfterRefusal", testLimitNudgeAfterRefusal},
	})
}

const limitRecheck = 5 * time.Second

// acquire asks for a slot of l for step "call#1" of in at now.
func acquire(t *testing.T, s limitBackend, l store.Limit, in *store.Instance, now time.Time) *store.LimitGrant {
	t.Helper()
	g, err := s.LimitAcquire(t.Context(), &store.LimitAcquireParams{Limit: l, InstanceID: in.ID, StepKey: "call#1",
		LeaseToken: in.LeaseToken, Now: now, Recheck: limitRecheck})
	if err != nil {
		t.Fatalf("LimitAcquire %s for %s at %v: %v", l.Name, in.ID, now.Sub(t0), err)
	}
	return g
}

// wantGrant fails unless g is granted (want) or refused until retryAt.
func wantGrant(t *testing.T, what string, g *store.LimitGrant, want bool, retryAt time.Time) {
	t.Helper()
	if g.Granted != want || !want && !g.RetryAt.Equal(retryAt) {
		t.Fatalf("%s: granted %v retry at %v (%s), want granted %v retry at %v", what, g.Granted,
			g.RetryAt.Sub(t0), g.Full, want, retryAt.Sub(t0))
	}
}

// running returns n running instances l0..l(n-1), leased until leaseUntil.
func running(f *fixture, n int) []*store.Instance {
	out := make([]*store.Instance, n)
	for i := range out {
		out[i] = f.inStatus(fmt.Sprintf("l%d", i), store.StatusRunning)
	}
	return out
}

// finishCall records step "call#1" of in as completed at now.
func finishCall(f *fixture, in *store.Instance, now time.Time) {
	f.t.Helper()
	f.mustApply(&store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: now, Steps: []*store.Step{{
		Key: "call#1", Name: "call", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, Attempts: 1,
		StartedAt: now, FinishedAt: &now}}})
}

// testLimitConcurrency: at most Concurrency steps hold a slot; a holder
// asking again keeps its slot; a completed step frees it.
func testLimitConcurrency(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 3)
	erp := store.Limit{Name: "erp", Concurrency: 2}
	now := at(2 * time.Second)
	wantGrant(t, "l0", acquire(t, s, erp, in[0], now), true, time.Time{})
	wantGrant(t, "l1", acquire(t, s, erp, in[1], now), true, time.Time{})
	g := acquire(t, s, erp, in[2], now)
	wantGrant(t, "l2 with both slots held", g, false, now.Add(limitRecheck))
	if g.Full != "concurrency" {
		t.Errorf("Full = %q, want concurrency", g.Full)
	}
	wantGrant(t, "l0 again", acquire(t, s, erp, in[0], now), true, time.Time{})
	other := store.Limit{Name: "other", Concurrency: 1}
	wantGrant(t, "l2 on another limit", acquire(t, s, other, in[2], now), true, time.Time{})
	finishCall(f, in[0], at(3*time.Second))
	wantGrant(t, "l2 after l0's step completed", acquire(t, s, erp, in[2], at(3*time.Second)), true, time.Time{})
	wantGrant(t, "l0 once more, slots full", acquire(t, s, erp, in[0], at(3*time.Second)), false, at(3*time.Second).Add(limitRecheck))
}

// testLimitLeaseEnds: a slot is free once its instance's lease expires or
// is released.
func testLimitLeaseEnds(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 3)
	one := store.Limit{Name: "one", Concurrency: 1}
	wantGrant(t, "l0", acquire(t, s, one, in[0], at(2*time.Second)), true, time.Time{})
	wantGrant(t, "l1 while l0 holds", acquire(t, s, one, in[1], leaseUntil.Add(-time.Second)), false, leaseUntil.Add(-time.Second+limitRecheck))
	wantGrant(t, "l1 after l0's lease expired", acquire(t, s, one, in[1], leaseUntil), true, time.Time{})

	in2 := f.inStatus("w", store.StatusRunning)
	two := store.Limit{Name: "two", Concurrency: 1}
	wantGrant(t, "w", acquire(t, s, two, in2, at(2*time.Second)), true, time.Time{})
	f.mustApply(&store.Update{InstanceID: "w", LeaseToken: in2.LeaseToken, Now: at(3 * time.Second),
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(wakeAt)}, Release: true})
	wantGrant(t, "l2 after w released its lease", acquire(t, s, two, in[2], at(3*time.Second)), true, time.Time{})
}

// testLimitRate: a sliding window of Per never holds more than Rate
// grants; a refused step learns when the oldest grant leaves it.
func testLimitRate(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 1)[0]
	pay := store.Limit{Name: "payments", Rate: 3, Per: 10 * time.Second}
	sec := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	steps := []struct {
		at      int
		granted bool
		retryAt int
	}{
		{2, true, 0}, {3, true, 0}, {4, true, 0}, // a burst of Rate
		{5, false, 12}, // 2 leaves the window (2, 12] at 12
		{11, false, 12},
		{12, true, 0},   // window (2, 12]: 3, 4 and now 12
		{13, true, 0},   // (3, 13]: 4, 12, 13
		{13, false, 14}, // full until 4 leaves
		{14, true, 0},
	}
	for _, st := range steps {
		g := acquire(t, s, pay, in, sec(st.at))
		wantGrant(t, fmt.Sprintf("at %ds", st.at), g, st.granted, sec(st.retryAt))
		if !st.granted && g.Full != "rate" {
			t.Errorf("at %ds: Full = %q, want rate", st.at, g.Full)
		}
	}
}

// testLimitRateLateClock: an acquirer whose Now is earlier than a grant
// already stored (its engine read the clock, then waited for the limit's
// lock while another engine took a grant) counts as of that grant, so
// the grants a later one pruned cannot let it pass the rate.
func testLimitRateLateClock(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 1)[0]
	pay := store.Limit{Name: "late", Rate: 2, Per: 10 * time.Second}
	ms := func(n int) time.Time { return at(time.Duration(n) * time.Millisecond) }
	steps := []struct {
		what    string
		at      int
		granted bool
		retryAt int
	}{
		{"a burst of Rate", 1500, true, 0},
		{"a burst of Rate", 2000, true, 0},
		{"after the window, pruning both", 12500, true, 0},
		// Dated 11 s, it would be the third in (1 s, 11 s]; it counts as
		// of 12.5 s, where the window (2.5 s, 12.5 s] holds one.
		{"a clock read before the 12.5 s grant", 11000, true, 0},
		{"the window holds 12.5 s twice", 12500, false, 22500},
		{"still", 21000, false, 22500},
		{"both left", 22500, true, 0},
	}
	for _, st := range steps {
		g := acquire(t, s, pay, in, ms(st.at))
		wantGrant(t, fmt.Sprintf("%s, at %dms", st.what, st.at), g, st.granted, ms(st.retryAt))
	}
}

// testLimitReleaseWakes: a release frees the slot at once and makes the
// oldest waiting waiter due.
func testLimitReleaseWakes(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 3)
	one := store.Limit{Name: "one", Concurrency: 1}
	now := at(2 * time.Second)
	wantGrant(t, "l0", acquire(t, s, one, in[0], now), true, time.Time{})
	for _, w := range in[1:] {
		wantGrant(t, w.ID, acquire(t, s, one, w, now), false, now.Add(limitRecheck))
		f.mustApply(&store.Update{InstanceID: w.ID, LeaseToken: w.LeaseToken, Now: now,
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(wakeAt)}, Release: true})
	}
	rel := at(3 * time.Second)
	woke, err := s.LimitRelease(t.Context(), &store.LimitReleaseParams{Limit: "one", InstanceID: "l0", StepKey: "call#1", Now: rel})
	if err != nil || !woke {
		t.Fatalf("LimitRelease = %v, %v; want a waiter woken", woke, err)
	}
	woken := 0
	for _, w := range in[1:] {
		if got := f.get(w.ID); got.WakeAt != nil && got.WakeAt.Equal(rel) {
			woken++
		}
	}
	if woken != 1 {
		t.Errorf("%d waiters woken at the release, want 1", woken)
	}
	late := f.claim(&store.ClaimParams{Owner: "worker-2", Limit: 10, Now: rel, LeaseUntil: rel.Add(time.Minute),
		Workflows: []string{"wf-l1", "wf-l2"}})
	if len(late) != 1 {
		t.Fatalf("claimed %d instances after the release, want the woken one", len(late))
	}
	wantGrant(t, "woken "+late[0].ID, acquire(t, s, one, late[0], rel), true, time.Time{})
	if woke, err := s.LimitRelease(t.Context(), &store.LimitReleaseParams{Limit: "none", InstanceID: "l0", StepKey: "call#1", Now: rel}); err != nil || woke {
		t.Errorf("LimitRelease of an unknown limit = %v, %v; want nothing woken", woke, err)
	}
}

// testLimitReleaseToken: a release with a lease token frees only a slot
// acquired under that lease (a run that lost its lease must not free the
// new owner's); a workflow concurrency limit's reserved name is accepted.
func testLimitReleaseToken(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 2)
	name := store.WorkflowLimitName("payment", "customer-42")
	one := store.Limit{Name: name, Concurrency: 1}
	now := at(2 * time.Second)
	wantGrant(t, "l0", acquire(t, s, one, in[0], now), true, time.Time{})
	release := func(token string) {
		t.Helper()
		if _, err := s.LimitRelease(t.Context(), &store.LimitReleaseParams{Limit: name, InstanceID: "l0", StepKey: "call#1",
			LeaseToken: token, Now: now}); err != nil {
			t.Fatalf("LimitRelease: %v", err)
		}
	}
	release("an-older-lease")
	wantGrant(t, "l1 after a release under another lease", acquire(t, s, one, in[1], now), false, now.Add(limitRecheck))
	release(in[0].LeaseToken)
	wantGrant(t, "l1 after l0's release", acquire(t, s, one, in[1], now), true, time.Time{})
	if err := store.ValidateLimitName("@wf.x"); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("ValidateLimitName(@wf.x) = %v, want ErrInvalidArgument (not the reserved form)", err)
	}
}

// testLimitRefuses: a stale lease is ErrLeaseLost; bad arguments are
// ErrInvalidArgument naming the field.
func testLimitRefuses(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 1)[0]
	ctx := t.Context()
	_, err := s.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: store.Limit{Name: "x", Concurrency: 1},
		InstanceID: in.ID, StepKey: "call#1", LeaseToken: "stale", Now: claimedAt, Recheck: time.Second})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("LimitAcquire with a stale token: %v, want ErrLeaseLost", err)
	}
	bad := []struct {
		l     store.Limit
		field string
	}{
		{store.Limit{Name: "", Concurrency: 1}, "name"},
		{store.Limit{Name: "a b", Concurrency: 1}, "name"},
		{store.Limit{Name: "x"}, "concurrency"},
		{store.Limit{Name: "x", Concurrency: store.MaxLimitConcurrency + 1}, "concurrency"},
		{store.Limit{Name: "x", Rate: 1}, "per"},
		{store.Limit{Name: "x", Rate: -1, Per: time.Second}, "rate"},
		{store.Limit{Name: "x", Concurrency: 1, Per: time.Second}, "per"},
	}
	for _, b := range bad {
		_, err := s.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: b.l, InstanceID: in.ID, StepKey: "call#1",
			LeaseToken: in.LeaseToken, Now: claimedAt, Recheck: time.Second})
		var se *store.Error
		if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) || se.Field != b.field {
			t.Errorf("LimitAcquire %+v: %v, want ErrInvalidArgument on %s", b.l, err, b.field)
		}
	}
	if _, err := s.LimitAcquire(ctx, &store.LimitAcquireParams{Limit: store.Limit{Name: "x", Concurrency: 1},
		InstanceID: in.ID, StepKey: "call#1", LeaseToken: in.LeaseToken, Now: claimedAt}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("LimitAcquire without a recheck: %v, want ErrInvalidArgument", err)
	}
}

// testLimitConcurrentAcquirers: acquirers racing for one limit never get
// more slots, or rate grants, than it allows.
func testLimitConcurrentAcquirers(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	const n = 12
	in := running(f, n)
	for _, l := range []store.Limit{{Name: "race-slots", Concurrency: 3}, {Name: "race-rate", Rate: 4, Per: time.Minute}} {
		var mu sync.Mutex
		granted := 0
		var wg sync.WaitGroup
		for _, x := range in {
			wg.Go(func() {
				g, err := s.LimitAcquire(t.Context(), &store.LimitAcquireParams{Limit: l, InstanceID: x.ID, StepKey: "call#1",
					LeaseToken: x.LeaseToken, Now: at(2 * time.Second), Recheck: time.Second})
				if err != nil {
					t.Errorf("LimitAcquire %s: %v", x.ID, err)
					return
				}
				if g.Granted {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if want := max(l.Concurrency, l.Rate); granted != want {
			t.Errorf("%s: %d of %d racing acquirers granted, want %d", l.Name, granted, n, want)
		}
	}
}

// park stores in as waiting until wakeAt, as an engine stores a refused
// step, at now.
func park(f *fixture, in *store.Instance, now time.Time) {
	f.t.Helper()
	f.mustApply(&store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: now,
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(wakeAt)}, Release: true})
}

// release frees in's slot of l at now and wakes l's line.
func release(t *testing.T, s limitBackend, l store.Limit, in *store.Instance, key string, now time.Time) bool {
	t.Helper()
	woke, err := s.LimitRelease(t.Context(), &store.LimitReleaseParams{Limit: l.Name, InstanceID: in.ID, StepKey: key,
		LeaseToken: in.LeaseToken, Now: now, Concurrency: l.Concurrency})
	if err != nil {
		t.Fatalf("LimitRelease %s by %s: %v", l.Name, in.ID, err)
	}
	return woke
}

// wantWoken fails unless exactly the instances in want are due at now
// among in.
func wantWoken(f *fixture, what string, now time.Time, in []*store.Instance, want ...string) {
	f.t.Helper()
	var got []string
	for _, x := range in {
		if w := f.get(x.ID).WakeAt; w != nil && !w.After(now) {
			got = append(got, x.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		f.t.Errorf("%s: due %v, want %v", what, got, want)
	}
}

// testLimitWaitersInOrder: a concurrency serves its waiters first come,
// first served: a newcomer is refused while waiters ahead fill the free
// slot, a release wakes only the head of the line, and a waiter keeps its
// place across refusals.
func testLimitWaitersInOrder(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 4)
	line := store.Limit{Name: "line", Concurrency: 1}
	wantGrant(t, "l0", acquire(t, s, line, in[0], at(2*time.Second)), true, time.Time{})
	wantGrant(t, "l1", acquire(t, s, line, in[1], at(2*time.Second)), false, at(2*time.Second+limitRecheck))
	wantGrant(t, "l2", acquire(t, s, line, in[2], at(3*time.Second)), false, at(3*time.Second+limitRecheck))
	park(f, in[1], at(3*time.Second))
	park(f, in[2], at(3*time.Second))
	finishCall(f, in[0], at(4*time.Second))
	now := at(4 * time.Second)
	g := acquire(t, s, line, in[3], now)
	wantGrant(t, "newcomer l3 with the slot free and two waiters ahead", g, false, now.Add(limitRecheck))
	if g.Full != "concurrency" {
		t.Errorf("Full = %q, want concurrency", g.Full)
	}
	if !release(t, s, line, in[0], "call#1", now) {
		t.Fatal("release woke nobody, want the head of the line")
	}
	wantWoken(f, "after the release", now, in[1:3], "l1")
	l1 := f.claimOne("wf-l1", now, now.Add(time.Minute))
	wantGrant(t, "l3 again while woken l1 is on its way", acquire(t, s, line, in[3], now), false, now.Add(limitRecheck))
	wantGrant(t, "woken l1", acquire(t, s, line, l1, now), true, time.Time{})

	now = at(6 * time.Second)
	finishCall(f, l1, now)
	if !release(t, s, line, l1, "call#1", now) {
		t.Fatal("second release woke nobody, want l2")
	}
	wantWoken(f, "after the second release", now, in[2:3], "l2")
	l2 := f.claimOne("wf-l2", now, now.Add(time.Minute))
	wantGrant(t, "l3 behind l2", acquire(t, s, line, in[3], now), false, now.Add(limitRecheck))
	wantGrant(t, "woken l2, ahead of l3 since its first refusal", acquire(t, s, line, l2, now), true, time.Time{})
}

// testLimitWaiterLosesPlace: a waiter that is not refused again within
// twice its recheck loses its place, and its next refusal puts it at the
// end of the line.
func testLimitWaiterLosesPlace(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 3)
	line := store.Limit{Name: "line", Concurrency: 1}
	wantGrant(t, "l0", acquire(t, s, line, in[0], at(2*time.Second)), true, time.Time{})
	wantGrant(t, "l1", acquire(t, s, line, in[1], at(2*time.Second)), false, at(2*time.Second+limitRecheck))
	gone := store.LimitWaiterActiveUntil(at(2*time.Second), limitRecheck)
	wantGrant(t, "l2 after l1's place lapsed", acquire(t, s, line, in[2], gone), false, gone.Add(limitRecheck))
	wantGrant(t, "l1 again, behind l2", acquire(t, s, line, in[1], gone.Add(time.Second)), false, gone.Add(time.Second+limitRecheck))
	now := gone.Add(2 * time.Second)
	finishCall(f, in[0], now)
	wantGrant(t, "l1 with the slot free, l2 ahead", acquire(t, s, line, in[1], now), false, now.Add(limitRecheck))
	wantGrant(t, "l2 at the head", acquire(t, s, line, in[2], now), true, time.Time{})
}

// testLimitNudgeAfterRefusal: a slot freed while a refused step is on its
// way to waiting wakes nobody (the step's instance still runs); the
// step's own nudge once it is stored waiting wakes it.
func testLimitNudgeAfterRefusal(t *testing.T, s limitBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	in := running(f, 2)
	line := store.Limit{Name: "line", Concurrency: 1}
	wantGrant(t, "l0", acquire(t, s, line, in[0], at(2*time.Second)), true, time.Time{})
	wantGrant(t, "l1", acquire(t, s, line, in[1], at(2*time.Second)), false, at(2*time.Second+limitRecheck))
	now := at(3 * time.Second)
	finishCall(f, in[0], now)
	if release(t, s, line, in[0], "call#1", now) {
		t.Error("release woke a waiter, want none (l1 still runs)")
	}
	park(f, in[1], now)
	if !release(t, s, line, &store.Instance{ID: in[1].ID}, store.LimitNudgeKey, now) {
		t.Fatal("l1's nudge woke nobody, want l1")
	}
	wantWoken(f, "after the nudge", now, in[1:], "l1")
	l1 := f.claimOne("wf-l1", now, now.Add(time.Minute))
	wantGrant(t, "woken l1", acquire(t, s, line, l1, now), true, time.Time{})
	if release(t, s, line, &store.Instance{ID: "l1"}, store.LimitNudgeKey, now) {
		t.Error("a nudge with every slot held woke a waiter")
	}
}
