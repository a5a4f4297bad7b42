package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// testCloseChildren: a terminate or cancel of a parent applies its
// running children's policies in the same InstanceControl call (one
// transaction), down the tree: terminate-policy children end terminated
// (their end sent to a parent that still runs), cancel-policy children
// are queued with a cancel rollback naming the parent, abandoned ones
// and their children are left, finished ones and one already being
// cancelled are left as they were. Each child's action has its own audit
// entry. A refused parent action closes nothing.
func testCloseChildren(t *testing.T, s suite) {
	for _, action := range []store.ControlAction{store.ActionTerminate, store.ActionCancel} {
		t.Run(string(action), func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			f.inStatus("p", store.StatusWaiting)
			child := func(id, parent string, policy store.ChildPolicy) {
				t.Helper()
				if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: id, Workflow: "pay", Now: createdAt,
					Parent: &store.ParentLink{ID: parent, Step: "s#1", Policy: policy}}); err != nil {
					t.Fatal(err)
				}
			}
			child("p:t", "p", store.ChildTerminate)
			child("p:t:g", "p:t", store.ChildTerminate)
			child("p:c", "p", store.ChildCancel)
			child("p:c:g", "p:c", store.ChildTerminate)
			child("p:a", "p", store.ChildAbandon)
			child("p:a:g", "p:a", store.ChildTerminate)
			child("p:done", "p", store.ChildTerminate)
			done := f.mustControl("p:done", store.ActionTerminate, "", settledAt)
			child("p:x", "p", store.ChildCancel)
			pending := f.mustControl("p:x", store.ActionCancel, "", settledAt)
			other := "q"
			f.inStatus(other, store.StatusQueued)
			child("q:t", other, store.ChildTerminate)

			now := at(time.Minute)
			_, err := f.s.InstanceControl(f.ctx, &store.ControlParams{InstanceID: "p", Action: action, Reason: "customer left", Now: now,
				Audit: &store.Action{At: now, Actor: "ops", Action: string(action), InstanceID: "p", Reason: "customer left"}})
			if err != nil {
				t.Fatalf("InstanceControl %s p: %v", action, err)
			}
			past := map[store.ControlAction]string{store.ActionTerminate: "terminated", store.ActionCancel: "cancelled"}[action]
			why := "parent p " + past + ": customer left"
			for _, id := range []string{"p:t", "p:t:g", "p:c:g"} {
				if got := f.get(id); got.Status != store.StatusTerminated || !deref(got.FinishedAt).Equal(now) {
					t.Errorf("%s: %s finished %v, want terminated at %v", id, got.Status, got.FinishedAt, now)
				}
			}
			c := f.get("p:c")
			if c.Status != store.StatusQueued || c.Rollback == nil || c.Rollback.Status != store.StatusCancelled ||
				c.Rollback.Cause == nil || !strings.Contains(c.Rollback.Cause.Message, why) {
				t.Errorf("p:c: %s rollback %+v, want queued with a cancel naming the parent (%q)", c.Status, c.Rollback, why)
			}
			for _, id := range []string{"p:a", "p:a:g", "q", "q:t"} {
				if got := f.get(id); got.Status != store.StatusQueued || got.Rollback != nil {
					t.Errorf("%s: %s rollback %+v, want left queued", id, got.Status, got.Rollback)
				}
			}
			if got := f.get("p:done"); got.Status != store.StatusTerminated || !deref(got.FinishedAt).Equal(deref(done.FinishedAt)) {
				t.Errorf("p:done: %s finished %v, want left terminated at %v", got.Status, got.FinishedAt, done.FinishedAt)
			}
			if got := f.get("p:x"); got.Rollback == nil || !got.Rollback.At.Equal(pending.Rollback.At) {
				t.Errorf("p:x: rollback %+v, want the pending one kept", got.Rollback)
			}
			// The terminated children's ends reach parents that still run.
			wantEvents := map[string][]string{"p:c": {store.ChildResultType("p:c:g")}, "p:t": nil}
			if action == store.ActionCancel {
				wantEvents["p"] = []string{store.ChildResultType("p:t")}
			}
			for id, want := range wantEvents {
				var got []string
				for _, ev := range f.journal(id).Events {
					got = append(got, ev.Type)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("events of %s: %v, want %v", id, got, want)
				}
			}
			if as, ok := f.s.(store.ActionStore); ok {
				for id, act := range map[string]store.ControlAction{"p:t": store.ActionTerminate, "p:t:g": store.ActionTerminate,
					"p:c": store.ActionCancel, "p:c:g": store.ActionTerminate} {
					page, err := as.ActionList(f.ctx, &store.ActionListParams{InstanceID: id, Action: string(act)})
					if err != nil || len(page.Actions) != 1 || page.Actions[0].Actor != "ops" || !page.Actions[0].At.Equal(now) {
						t.Errorf("audit of %s %s: %+v %v, want one entry by ops at %v", id, act, page, err, now)
					}
				}
			}
			// Closing p again is refused and closes nothing more.
			before := f.get("p:a")
			if _, err := f.control("p", store.ActionTerminate, "", at(time.Hour)); action == store.ActionTerminate {
				wantErr(t, "second terminate", err, store.ErrInvalidTransition)
			}
			if got := f.get("p:a"); got.Status != before.Status || got.Rollback != nil {
				t.Errorf("p:a after p closed again: %s %+v", got.Status, got.Rollback)
			}
		})
	}
}
