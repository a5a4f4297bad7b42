package retention_test

import (
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/retention"
)

// TestPeriods: a pass deletes exactly the finished instances past their
// period, the default one or their workflow's own; instances inside it,
// kept forever, and unfinished ones stay. On every backend.
func TestPeriods(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, &ordotest.Options{Store: b.open(t)})
			workflows(env)
			old := map[string]string{
				"complete":   finish(env, "wf", ordo.StatusComplete),
				"errored":    finish(env, "fails", ordo.StatusErrored),
				"keep":       finish(env, "keep", ordo.StatusComplete),
				"long":       finish(env, "long", ordo.StatusComplete),
				"sleeper":    finish(env, "sleeper", ordo.StatusWaiting),
				"terminated": finish(env, "sleeper", ordo.StatusWaiting),
				"paused":     finish(env, "sleeper", ordo.StatusWaiting),
			}
			if _, err := env.Engine.Terminate(t.Context(), old["terminated"]); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Engine.Pause(t.Context(), old["paused"]); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(20 * day)
			recent := finish(env, "wf", ordo.StatusComplete)

			svc, err := retention.New(retention.Config{Engine: env.Engine, Period: 30 * day, BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			check := func(when string, pass retention.Pass, deleted int, gone map[string]bool) {
				t.Helper()
				if pass.Err != nil || pass.Busy || pass.Deleted != deleted {
					t.Errorf("%s: pass %+v; want %d deleted", when, pass, deleted)
				}
				for name, id := range old {
					if exists(t, env, id) == gone[name] {
						t.Errorf("%s: %s (%s) exists = %v, want %v", when, name, id, !gone[name], !gone[name])
					}
				}
				if exists(t, env, recent) == gone["recent"] {
					t.Errorf("%s: the recent instance exists = %v", when, !gone["recent"])
				}
			}
			check("at day 20", svc.RunOnce(t.Context()), 0, nil)
			env.Clock.Advance(11 * day) // day 31: the old ones are past 30 days
			gone := map[string]bool{"complete": true, "errored": true, "terminated": true}
			check("at day 31", svc.RunOnce(t.Context()), 3, gone)
			env.Clock.Advance(60 * day) // day 91: past "long"'s 90 days, and recent's 30
			gone["long"], gone["recent"] = true, true
			check("at day 91", svc.RunOnce(t.Context()), 2, gone)
			env.Clock.Advance(10000 * day)
			check("at day 10,091", svc.RunOnce(t.Context()), 0, gone) // keep, and the unfinished, stay
		})
	}
}

// TestPeriodZero: without a default period only workflows with one of
// their own lose instances.
func TestPeriodZero(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	workflows(env)
	plain := finish(env, "wf", ordo.StatusComplete)
	long := finish(env, "long", ordo.StatusComplete)
	svc, err := retention.New(retention.Config{Engine: env.Engine})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(1000 * day)
	if p := svc.RunOnce(t.Context()); p.Deleted != 1 || p.Err != nil {
		t.Errorf("pass %+v; want 1 deleted", p)
	}
	if !exists(t, env, plain) || exists(t, env, long) {
		t.Errorf("after the pass: wf exists %v (want true), long exists %v (want false)", exists(t, env, plain), exists(t, env, long))
	}
}

// TestSetRetention: a period set at run time (an order flow's field)
// applies from the next pass, and clearing it falls back to the default.
func TestSetRetention(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	workflows(env)
	a := finish(env, "wf", ordo.StatusComplete)
	if err := env.Engine.SetRetention("wf", 0); err != nil {
		t.Fatal(err)
	}
	if err := env.Engine.SetRetention("wf", -time.Hour); err == nil {
		t.Error("SetRetention accepted a negative period")
	}
	svc, err := retention.New(retention.Config{Engine: env.Engine, Period: day})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(2 * day)
	svc.RunOnce(t.Context())
	if !exists(t, env, a) {
		t.Fatal("an instance of a workflow kept forever was deleted")
	}
	env.Engine.ClearRetention("wf")
	svc.RunOnce(t.Context())
	if exists(t, env, a) {
		t.Error("after ClearRetention the default period did not apply")
	}
}

// TestLoop: the started service passes on the engine's clock, every
// tenth of a short period.
func TestLoop(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	workflows(env)
	passes := make(chan retention.Pass, 16)
	svc, err := retention.New(retention.Config{Engine: env.Engine, Period: time.Hour,
		OnPass: func(p retention.Pass) { passes <- p }})
	if err != nil {
		t.Fatal(err)
	}
	id := finish(env, "wf", ordo.StatusComplete)
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(t.Context()); _ = svc.Stop(t.Context()) })
	wait := func() retention.Pass {
		t.Helper()
		select {
		case p := <-passes:
			return p
		case <-time.After(30 * time.Second):
			t.Fatal("no retention pass")
		}
		return retention.Pass{}
	}
	if p := wait(); p.Deleted != 0 { // the pass at Start
		t.Fatalf("first pass deleted %d", p.Deleted)
	}
	// Past the period, the next pass deletes the instance. The clock moves
	// an interval (a tenth of the period: 6 minutes) at a time, until a
	// pass comes.
	env.Clock.Advance(time.Hour + time.Minute)
	deadline := time.Now().Add(30 * time.Second)
	var p retention.Pass
	for got := false; !got; {
		if time.Now().After(deadline) {
			t.Fatal("no retention pass after the period")
		}
		env.Clock.Advance(6 * time.Minute)
		select {
		case p = <-passes:
			got = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	if p.Deleted != 1 || exists(t, env, id) {
		t.Errorf("the pass after the period: %+v; instance exists %v", p, exists(t, env, id))
	}
}
