package enginetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

type product struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func testCompensationsRunInReverseOrder(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	wf := ordo.NewWorkflow("saga", func(ctx context.Context, failComp bool) (string, error) {
		for _, name := range []string{"one", "two", "three"} {
			_, err := ordo.DoWithCompensation(ctx, name, &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1, Delay: time.Second}},
				func(ctx context.Context) (string, product, error) {
					add("do " + name)
					return name, product{ID: name, Title: "before-" + name}, nil
				},
				func(ctx context.Context, prev product) error {
					add("undo " + prev.ID + " to " + prev.Title)
					if failComp && prev.ID == "two" {
						return errors.New("erp unreachable")
					}
					return nil
				})
			if err != nil {
				return "", err
			}
		}
		_, err := ordo.Do(ctx, "erp", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			return "", errors.New("erp rejected the update")
		})
		return "", err
	})
	_, inst, err := ordotest.Run(env, wf, false)
	if err == nil || inst.Status != ordo.StatusErrored {
		t.Fatalf("want errored, got %v %s", err, inst.Status)
	}
	want := []string{"do one", "do two", "do three", "undo three to before-three", "undo two to before-two", "undo one to before-one"}
	if !slices.Equal(log, want) {
		t.Fatalf("log = %q", log)
	}
	for _, s := range inst.Steps[:3] {
		if s.CompensationStatus != store.CompCompleted {
			t.Errorf("step %s compensation = %q", s.Key, s.CompensationStatus)
		}
	}

	// A compensation that keeps failing: the others still run, both errors show.
	log = nil
	_, inst, _ = ordotest.Run(env, wf, true)
	want = []string{"do one", "do two", "do three", "undo three to before-three", "undo two to before-two", "undo two to before-two", "undo one to before-one"}
	if !slices.Equal(log, want) {
		t.Fatalf("log = %q", log)
	}
	if inst.Status != ordo.StatusErrored || len(inst.Error.Compensations) != 1 || inst.Steps[1].CompensationStatus != store.CompFailed {
		t.Fatalf("error = %+v steps[1] = %+v", inst.Error, inst.Steps[1])
	}
}

// undoLog records compensations in the order they ran.
type undoLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *undoLog) add(s string) {
	l.mu.Lock()
	l.ran = append(l.ran, s)
	l.mu.Unlock()
}

func (l *undoLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ran)
}

// cancelWorkflow books three things, each undone by a compensation, then
// blocks on gate g until its context ends. failUndo makes the
// compensation of "b" fail while set.
func cancelWorkflow(name string, g *gate, log *undoLog, failUndo *atomic.Bool, stepErr chan<- error) *ordo.Workflow[struct{}, string] {
	return ordo.NewWorkflow(name, func(ctx context.Context, _ struct{}) (string, error) {
		if err := ordo.CancelStatus(ctx, "Cancelled"); err != nil {
			return "", err
		}
		for _, step := range []string{"a", "b", "c"} {
			_, err := ordo.DoWithCompensation(ctx, step, &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1, Delay: time.Second, Backoff: ordo.BackoffConstant}},
				func(ctx context.Context) (string, string, error) { return step, "undo-" + step, nil },
				func(ctx context.Context, data string) error {
					if data == "undo-b" && failUndo.Load() {
						return errors.New("refund refused")
					}
					log.add(data)
					return nil
				})
			if err != nil {
				return "", err
			}
		}
		return ordo.Do(ctx, "blocked", nil, func(ctx context.Context) (string, error) {
			err := g.wait(ctx)
			stepErr <- err
			return "late", err
		})
	})
}

// testCancelCompensatesInReverse: cancel cancels the running step's
// context, the compensations of the completed steps run newest first,
// each once, and the instance ends cancelled with the reason, the custom
// status the workflow named, and no further cancel allowed. On memory,
// SQLite and PostgreSQL.
func testCancelCompensatesInReverse(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	g := newGate()
	log := &undoLog{}
	stepErr := make(chan error, 1)
	env.Register(cancelWorkflow("book", g, log, new(atomic.Bool), stepErr))
	id := env.Start("book", struct{}{})
	<-g.entered
	ctx := ordo.WithActor(t.Context(), "ops")
	got, err := env.Engine.Cancel(ctx, id, "customer changed their mind")
	if err != nil {
		t.Fatal(err)
	}
	if got.Rollback == nil || got.Rollback.Status != ordo.StatusCancelled {
		t.Fatalf("cancel returned rollback %+v", got.Rollback)
	}
	select {
	case err := <-stepErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("running step's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the running step's context was not cancelled")
	}
	final := env.WaitDone(id)
	if final.Status != ordo.StatusCancelled || final.Error == nil || final.Error.Kind != store.ErrorKindCancelled ||
		!strings.Contains(final.Error.Message, "customer changed their mind") || final.CustomStatus != "Cancelled" ||
		final.Rollback != nil {
		t.Fatalf("final: %s custom %q error %+v rollback %+v", final.Status, final.CustomStatus, final.Error, final.Rollback)
	}
	if want := []string{"undo-c", "undo-b", "undo-a"}; !slices.Equal(log.get(), want) {
		t.Errorf("compensations ran %q, want %q", log.get(), want)
	}
	for _, st := range final.Steps {
		if st.Name == "blocked" {
			t.Errorf("the cut-off step was recorded: %+v", st)
		}
	}
	if _, err := env.Engine.Cancel(t.Context(), id, "again"); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Errorf("cancel of a cancelled instance: %v", err)
	}
}

// testCancelWaitingAndFinished: a sleeping instance is cancelled without
// waiting for its timer; a complete one is refused.
func testCancelWaitingAndFinished(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	log := &undoLog{}
	env.Register(ordo.NewWorkflow("nap", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.DoWithCompensation(ctx, "hold", nil,
			func(ctx context.Context) (string, string, error) { return "held", "release", nil },
			func(ctx context.Context, data string) error { log.add(data); return nil }); err != nil {
			return "", err
		}
		if err := ordo.Sleep(ctx, "nap", 24*time.Hour); err != nil {
			return "", err
		}
		return "woke", nil
	}))
	id := env.Start("nap", struct{}{})
	env.WaitStatus(id, ordo.StatusWaiting)
	if _, err := env.Engine.Cancel(t.Context(), id, ""); err != nil {
		t.Fatal(err)
	}
	final := env.WaitDone(id)
	if final.Status != ordo.StatusCancelled || !slices.Equal(log.get(), []string{"release"}) {
		t.Fatalf("final %s, compensations %q", final.Status, log.get())
	}
	env.Register(ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }))
	done := env.Start("quick", struct{}{})
	env.WaitDone(done)
	_, err := env.Engine.Cancel(t.Context(), done, "too late")
	if !errors.Is(err, ordo.ErrInvalidTransition) || !strings.Contains(err.Error(), "complete") {
		t.Errorf("cancel of a complete instance: %v", err)
	}
}

// testCompensationActions: a compensation that failed for good is retried
// (and succeeds), marked done or skipped; the instance rolls back again
// and ends as before, listing only the failures left.
func testCompensationActions(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	failUndo := new(atomic.Bool)
	failUndo.Store(true)
	log := &undoLog{}
	g := newGate()
	env.Register(cancelWorkflow("book", g, log, failUndo, make(chan error, 3)))
	ctx := t.Context()
	cancelled := func() string {
		id := env.Start("book", struct{}{})
		<-g.entered
		if _, err := env.Engine.Cancel(ctx, id, "no stock"); err != nil {
			t.Fatal(err)
		}
		final := env.WaitDone(id)
		if final.Status != ordo.StatusCancelled || len(final.Error.Compensations) != 1 {
			t.Fatalf("cancelled with a failing compensation: %s %+v", final.Status, final.Error)
		}
		return id
	}

	id := cancelled()
	if _, err := env.Engine.Compensation(ctx, id, "a#1", ordo.CompensationRetry, "again"); !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Errorf("retry of a completed compensation: %v", err)
	}
	if _, err := env.Engine.Compensation(ctx, id, "zz#1", ordo.CompensationRetry, ""); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("retry of an unknown step: %v", err)
	}
	failUndo.Store(false)
	before := len(log.get())
	if _, err := env.Engine.Compensation(ctx, id, "b#1", ordo.CompensationRetry, "processor is back"); err != nil {
		t.Fatal(err)
	}
	final := env.WaitDone(id)
	if final.Status != ordo.StatusCancelled || len(final.Error.Compensations) != 0 || final.Error.Kind != store.ErrorKindCancelled {
		t.Fatalf("after retry: %s %+v", final.Status, final.Error)
	}
	if got := log.get()[before:]; !slices.Equal(got, []string{"undo-b"}) {
		t.Errorf("retry ran %q, want only undo-b", got)
	}
	if page, err := env.Engine.Actions(ctx, &store.ActionListParams{InstanceID: id, Action: string(ordo.CompensationRetry)}); err != nil ||
		len(page.Actions) != 1 || page.Actions[0].Target != "step/b#1" || page.Actions[0].Reason != "processor is back" {
		t.Errorf("audit entry of the retry: %+v %v, want target step/b#1 with the reason", page, err)
	}
	if st := stepByKey(final, "b#1"); st.CompensationStatus != store.CompCompleted || !strings.Contains(st.CompensationNote, "processor is back") {
		t.Errorf("b#1 after retry: %s %q", st.CompensationStatus, st.CompensationNote)
	}

	failUndo.Store(true)
	for _, tc := range []struct {
		action ordo.CompensationAction
		want   store.CompensationStatus
	}{{ordo.CompensationDone, store.CompCompleted}, {ordo.CompensationSkip, store.CompSkipped}} {
		id := cancelled()
		before := len(log.get())
		if _, err := env.Engine.Compensation(ctx, id, "b#1", tc.action, "refunded by hand"); err != nil {
			t.Fatal(err)
		}
		final := env.WaitDone(id)
		if final.Status != ordo.StatusCancelled || len(final.Error.Compensations) != 0 {
			t.Fatalf("after %s: %s %+v", tc.action, final.Status, final.Error)
		}
		if st := stepByKey(final, "b#1"); st.CompensationStatus != tc.want || !strings.Contains(st.CompensationNote, "refunded by hand") {
			t.Errorf("b#1 after %s: %s %q", tc.action, st.CompensationStatus, st.CompensationNote)
		}
		if n := len(log.get()) - before; n != 0 {
			t.Errorf("%s ran %d compensations", tc.action, n)
		}
	}
}

// testCancelFromAnotherEngine: an engine that does not run the instance
// (another process) cancels it; the engine running it learns it from its
// heartbeat, cancels the running step and rolls the instance back.
func testCancelFromAnotherEngine(t *testing.T, s Suite) {
	st := s.Open(t)
	env := ordotest.New(t, &ordotest.Options{Store: st})
	g := newGate()
	log := &undoLog{}
	stepErr := make(chan error, 1)
	env.Register(cancelWorkflow("book", g, log, new(atomic.Bool), stepErr))
	other := newEngine(t, ordo.Config{Store: st})
	id := env.Start("book", struct{}{})
	<-g.entered
	if _, err := other.Cancel(t.Context(), id, "from the other process"); err != nil {
		t.Fatal(err)
	}
	var got error
	for i := 0; i < 2 && got == nil; i++ {
		env.Clock.Advance(10 * time.Second) // the heartbeat interval
		select {
		case got = <-stepErr:
		case <-time.After(30 * time.Second):
		}
	}
	if !errors.Is(got, context.Canceled) {
		t.Fatalf("running step's context: %v, want cancelled by the heartbeat", got)
	}
	final := env.WaitDone(id)
	if final.Status != ordo.StatusCancelled || !slices.Equal(log.get(), []string{"undo-c", "undo-b", "undo-a"}) {
		t.Fatalf("final %s, compensations %q", final.Status, log.get())
	}
}
