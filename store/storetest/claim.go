package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// populate creates an instance in every claimable and unclaimable
// situation at now: queued; waiting with a past, present, future or no
// timer; running with an expired or a live lease; paused from queued,
// waiting and running; complete, errored, terminated.
func populate(f *fixture, now time.Time) {
	// waiting drives a fresh instance to waiting with wakeAt (nil: event only).
	waiting := func(id string, wake *time.Time) {
		f.create(id, "wf-"+id, at(0))
		c := f.claimOne("wf-"+id, at(time.Second), at(time.Minute))
		f.mustApply(&store.Update{InstanceID: id, LeaseToken: c.LeaseToken, Now: at(2 * time.Second),
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: wake}, Release: true})
	}
	running := func(id string, until time.Time) {
		f.create(id, "wf-"+id, at(0))
		f.claimOne("wf-"+id, at(time.Second), until)
	}

	f.create("queued", "wf-queued", at(0))
	waiting("waiting-past", ptr(now.Add(-time.Minute)))
	waiting("waiting-now", ptr(now))
	waiting("waiting-future", ptr(now.Add(time.Microsecond)))
	waiting("waiting-no-timer", nil)
	running("running-expired", now.Add(-time.Second))
	running("running-leased", now.Add(time.Minute))
	f.inStatus("paused", store.StatusPaused)
	waiting("paused-waiting-due", ptr(at(3*time.Second)))
	f.mustControl("paused-waiting-due", store.ActionPause, "", at(4*time.Second))
	running("paused-running-expired", at(time.Minute))
	f.mustControl("paused-running-expired", store.ActionPause, "", at(4*time.Second))
	f.inStatus("complete", store.StatusComplete)
	f.inStatus("errored", store.StatusErrored)
	f.inStatus("terminated", store.StatusTerminated)
	running("terminated-running-expired", at(time.Minute))
	f.mustControl("terminated-running-expired", store.ActionTerminate, "", at(4*time.Second))
}

// testClaimRunnable: one store holding an instance in every claimable and
// unclaimable situation; one claim at now takes exactly the runnable ones.
func testClaimRunnable(t *testing.T, s suite) {
	f := s.setup(t)
	now := at(time.Hour)
	populate(f, now)

	got := f.claim(&store.ClaimParams{Owner: "w2", Limit: 100, Now: now, LeaseUntil: now.Add(time.Minute)})
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	want := []string{"queued", "running-expired", "waiting-now", "waiting-past"}
	if diff := cmp.Diff(want, gotIDs); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}
	// DueAt: when each became runnable (a queued instance's creation, a
	// waiting one's wake time, an expired lease's end).
	wantDue := map[string]time.Time{"queued": at(0), "waiting-past": now.Add(-time.Minute),
		"waiting-now": now, "running-expired": now.Add(-time.Second)}
	for _, in := range got {
		if in.DueAt == nil || !in.DueAt.Equal(wantDue[in.ID]) {
			t.Errorf("claimed %s: DueAt %v, want %v", in.ID, in.DueAt, wantDue[in.ID])
		}
		if in.Status != store.StatusRunning || in.LeaseOwner != "w2" || in.LeaseToken == "" {
			t.Errorf("claimed %s: status %s owner %q token %q; want running, w2, a token", in.ID, in.Status, in.LeaseOwner, in.LeaseToken)
		}
		// Only the instance whose worker's lease ran out may have had an
		// attempt cut off.
		if want := in.ID == "running-expired"; in.LeaseExpired != want {
			t.Errorf("claimed %s: LeaseExpired %v, want %v", in.ID, in.LeaseExpired, want)
		}
	}
	if again := f.claim(&store.ClaimParams{Owner: "w3", Limit: 100, Now: now, LeaseUntil: now.Add(time.Minute)}); len(again) != 0 {
		t.Errorf("second claim took %v, want nothing", ids(again))
	}
}

func testClaimFields(t *testing.T, s suite) {
	f := s.setup(t)
	created := f.create("a", "wf", at(0))
	got := f.claimOne("wf", at(time.Second), at(time.Minute))
	want := *created
	want.Status = store.StatusRunning
	want.UpdatedAt = at(time.Second)
	want.StartedAt = ptr(at(time.Second))
	want.LeaseOwner = "worker-1"
	want.LeaseToken = got.LeaseToken
	want.LeaseExpiresAt = ptr(at(time.Minute))
	want.Claims = 1
	if got.LeaseToken == "" {
		t.Error("claimed instance has no LeaseToken")
	}
	wantClaimed := want
	wantClaimed.DueAt = ptr(at(0)) // a claim's answer only: not stored
	if diff := cmp.Diff(&wantClaimed, got); diff != "" {
		t.Errorf("claimed instance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&want, f.get("a")); diff != "" {
		t.Errorf("InstanceGet after claim (-want +got):\n%s", diff)
	}
}

// testClaimExpiredLease: a running instance whose lease expired is claimed
// again with a new token; the old token is fenced off.
func testClaimExpiredLease(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", at(0))
	first := f.claimOne("wf", at(time.Second), at(time.Minute))
	if got := f.claim(&store.ClaimParams{Owner: "w2", Limit: 1, Now: at(time.Minute - time.Microsecond), LeaseUntil: at(time.Hour)}); len(got) != 0 {
		t.Fatalf("claim before expiry took %v", ids(got))
	}
	second := f.claim(&store.ClaimParams{Owner: "w2", Limit: 1, Now: at(2 * time.Minute), LeaseUntil: at(3 * time.Minute)})
	if len(second) != 1 {
		t.Fatalf("claim after expiry took %d instances, want 1", len(second))
	}
	re := second[0]
	if first.LeaseExpired || !re.LeaseExpired {
		t.Errorf("LeaseExpired: first claim %v, claim after expiry %v; want false, true", first.LeaseExpired, re.LeaseExpired)
	}
	if re.LeaseToken == "" || re.LeaseToken == first.LeaseToken {
		t.Errorf("re-claim token %q, want a new one (old %q)", re.LeaseToken, first.LeaseToken)
	}
	if re.Claims != 2 || re.LeaseOwner != "w2" || !deref(re.LeaseExpiresAt).Equal(at(3*time.Minute)) {
		t.Errorf("re-claim: Claims %d owner %q expires %v; want 2, w2, %v", re.Claims, re.LeaseOwner, re.LeaseExpiresAt, at(3*time.Minute))
	}
	if !deref(re.StartedAt).Equal(at(time.Second)) {
		t.Errorf("re-claim StartedAt = %v, want the first claim's %v", re.StartedAt, at(time.Second))
	}
	res := f.commit(&store.Update{InstanceID: "a", LeaseToken: first.LeaseToken, Now: at(2 * time.Minute),
		State: &store.StateChange{Status: store.StatusComplete}})
	wantErr(t, "Commit with the expired token", res.Err, store.ErrLeaseLost)
	if res.Status != store.StatusRunning {
		t.Errorf("lease-lost result Status = %q, want running (the stored status)", res.Status)
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: re.LeaseToken, Now: at(2 * time.Minute)})
}

// testClaimReleasedRunning: a running instance whose worker released it
// without a state change (shutting down) is claimable at once.
func testClaimReleasedRunning(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", at(0))
	first := f.claimOne("wf", at(time.Second), at(time.Hour))
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: first.LeaseToken, Now: at(2 * time.Second), Release: true})
	if res.Status != store.StatusRunning {
		t.Fatalf("status after release = %s, want running", res.Status)
	}
	re := f.claimOne("wf", at(3*time.Second), at(time.Hour))
	if re.Claims != 2 || re.LeaseToken == first.LeaseToken {
		t.Errorf("re-claim after release: Claims %d, token reused %v", re.Claims, re.LeaseToken == first.LeaseToken)
	}
	if re.LeaseExpired {
		t.Error("re-claim after release: LeaseExpired, want false (a released lease cut nothing off)")
	}
	if re.DueAt == nil || !re.DueAt.Equal(at(2*time.Second)) {
		t.Errorf("re-claim after release: DueAt %v, want the release's time %v", re.DueAt, at(2*time.Second))
	}
}

func testClaimWorkflows(t *testing.T, s suite) {
	f := s.setup(t)
	for i, wf := range []string{"checkout", "refund", "checkout", "email", "checkout-v2"} {
		f.create(fmt.Sprintf("%s-%d", wf, i), wf, at(time.Duration(i)*time.Second))
	}
	tests := []struct {
		workflows []string
		want      []string
	}{
		{[]string{"checkout"}, []string{"checkout-0", "checkout-2"}},
		{[]string{"refund", "email", "unknown"}, []string{"email-3", "refund-1"}},
		{[]string{"nothing"}, nil},
		{nil, []string{"checkout-v2-4"}},
	}
	for _, tc := range tests {
		got := ids(f.claim(&store.ClaimParams{Owner: "w", Limit: 10, Now: at(time.Minute), LeaseUntil: at(time.Hour), Workflows: tc.workflows}))
		slices.Sort(got)
		if diff := cmp.Diff(tc.want, got, cmpEmpty); diff != "" {
			t.Errorf("claim Workflows %v (-want +got):\n%s", tc.workflows, diff)
		}
	}
}

func testClaimLimit(t *testing.T, s suite) {
	f := s.setup(t)
	for i := range 7 {
		f.create(fmt.Sprintf("i%d", i), "wf", at(time.Duration(i)*time.Second))
	}
	seen := map[string]bool{}
	for _, want := range []int{3, 3, 1, 0} {
		got := f.claim(&store.ClaimParams{Owner: "w", Limit: 3, Now: at(time.Minute), LeaseUntil: at(time.Hour)})
		if len(got) != want {
			t.Fatalf("claim Limit 3 took %d, want %d", len(got), want)
		}
		for _, in := range got {
			if seen[in.ID] {
				t.Fatalf("instance %s claimed twice", in.ID)
			}
			seen[in.ID] = true
		}
	}
	one := f.create("late", "wf", at(time.Hour))
	if got := f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: at(time.Minute), LeaseUntil: at(time.Hour)}); len(got) != 1 || got[0].ID != one.ID {
		t.Fatalf("claim Limit 1 took %v, want [late]", ids(got))
	}
}

// testClaimConcurrent: many goroutines claiming at once never get the same
// instance twice, and together take all of them.
func testClaimConcurrent(t *testing.T, s suite) {
	f := s.setup(t)
	const n, workers = 60, 8
	for i := range n {
		f.create(fmt.Sprintf("i%02d", i), "wf", at(time.Duration(i)*time.Millisecond))
	}
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		wg      sync.WaitGroup
		errs    = make(chan error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for {
				got, err := f.s.InstanceClaim(f.ctx, &store.ClaimParams{Owner: owner, Limit: 3, Now: at(time.Minute), LeaseUntil: at(time.Hour)})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, in := range got {
					if prev, dup := claimed[in.ID]; dup {
						errs <- fmt.Errorf("instance %s claimed by %s and %s", in.ID, prev, owner)
					}
					claimed[in.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimed) != n {
		t.Errorf("claimed %d distinct instances, want %d", len(claimed), n)
	}
	for id := range claimed {
		if in := f.get(id); in.Claims != 1 {
			t.Errorf("%s: Claims %d, want 1", id, in.Claims)
		}
	}
}

func testHeartbeat(t *testing.T, s suite) {
	f := s.setup(t)
	held := f.inStatus("held", store.StatusRunning)
	lost := f.inStatus("lost", store.StatusRunning)
	paused := f.inStatus("paused", store.StatusRunning)
	terminated := f.inStatus("terminated", store.StatusRunning)
	released := f.inStatus("released", store.StatusRunning)
	// lost's lease expires and another worker claims it.
	f.heartbeat(at(2*time.Hour), at(30*time.Second), held.LeaseToken, paused.LeaseToken, terminated.LeaseToken)
	reclaimed := f.claimOne("wf-lost", at(2*time.Minute), at(time.Hour))
	f.mustControl("paused", store.ActionPause, "", at(3*time.Minute))
	f.mustControl("terminated", store.ActionTerminate, "", at(3*time.Minute))
	f.mustApply(&store.Update{InstanceID: "released", LeaseToken: released.LeaseToken, Now: at(3 * time.Minute),
		State: &store.StateChange{Status: store.StatusQueued}, Release: true})

	until := at(3 * time.Hour)
	got := f.heartbeat(until, at(4*time.Minute), held.LeaseToken, lost.LeaseToken, paused.LeaseToken,
		terminated.LeaseToken, released.LeaseToken, "no-such-token", reclaimed.LeaseToken)
	want := []store.HeartbeatResult{
		{Token: held.LeaseToken, InstanceID: "held", Held: true, Status: store.StatusRunning},
		{Token: lost.LeaseToken},
		{Token: paused.LeaseToken, InstanceID: "paused", Held: true, Status: store.StatusPaused},
		{Token: terminated.LeaseToken, InstanceID: "terminated", Held: true, Status: store.StatusTerminated},
		{Token: released.LeaseToken},
		{Token: "no-such-token"},
		{Token: reclaimed.LeaseToken, InstanceID: "lost", Held: true, Status: store.StatusRunning},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InstanceHeartbeat (-want +got):\n%s", diff)
	}
	for _, id := range []string{"held", "paused", "terminated", "lost"} {
		if in := f.get(id); !deref(in.LeaseExpiresAt).Equal(until) {
			t.Errorf("%s: LeaseExpiresAt %v after heartbeat, want %v", id, in.LeaseExpiresAt, until)
		}
	}
	// An extended lease is not claimable; the old token stays fenced.
	if got := f.claim(&store.ClaimParams{Owner: "w9", Limit: 10, Now: at(2 * time.Hour), LeaseUntil: at(4 * time.Hour), Workflows: []string{"wf-held", "wf-lost"}}); len(got) != 0 {
		t.Errorf("claimed %v while their leases were extended", ids(got))
	}
	res := f.commit(&store.Update{InstanceID: "lost", LeaseToken: lost.LeaseToken, Now: at(5 * time.Minute)})
	wantErr(t, "Commit with a replaced token", res.Err, store.ErrLeaseLost)
}
