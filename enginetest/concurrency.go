package enginetest

import (
	"context"
	"errors"
	"fmt"
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

// payment is the params of the keyed workflow of the concurrency tests.
type payment struct {
	Customer string `json:"customer"`
	N        int    `json:"n"`
	// Nap sleeps an hour before the charge.
	Nap bool `json:"nap,omitempty"`
	// Await waits for an event "go" before the charge.
	Await bool `json:"await,omitempty"`
}

// keyRuns records the charges of the keyed workflow: how many run at once
// per customer, the most seen, the order they started in, and a gate per
// payment that holds its charge until the test closes it.
type keyRuns struct {
	mu      sync.Mutex
	now     map[string]int
	most    map[string]int
	started []int
	gates   map[int]chan struct{}
}

func newKeyRuns() *keyRuns {
	return &keyRuns{now: map[string]int{}, most: map[string]int{}, gates: map[int]chan struct{}{}}
}

func (k *keyRuns) gate(n int) chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	g := k.gates[n]
	if g == nil {
		g = make(chan struct{})
		k.gates[n] = g
	}
	return g
}

// open lets payment n's charge finish.
func (k *keyRuns) open(n int) { close(k.gate(n)) }

func (k *keyRuns) enter(p payment) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now[p.Customer]++
	k.most[p.Customer] = max(k.most[p.Customer], k.now[p.Customer])
	k.started = append(k.started, p.N)
}

func (k *keyRuns) leave(p payment) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now[p.Customer]--
}

// running reports whether the charges in flight are exactly the payments
// of want, by customer ("a": 1).
func (k *keyRuns) running(want map[string]int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for c, n := range k.now {
		if n != want[c] {
			return false
		}
	}
	for c, n := range want {
		if k.now[c] != n {
			return false
		}
	}
	return true
}

func (k *keyRuns) mostOf(customer string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.most[customer]
}

func (k *keyRuns) startedOnce(n int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Contains(k.started, n)
}

// keyed is workflow "payment", at most limit instances at once per
// customer, whose charge step waits for its gate.
func keyed(k *keyRuns, limit int) *ordo.Workflow[payment, int] {
	return ordo.NewWorkflow("payment", func(ctx context.Context, p payment) (int, error) {
		if p.Nap {
			if err := ordo.Sleep(ctx, "nap", time.Hour); err != nil {
				return 0, err
			}
		}
		if p.Await {
			if _, err := ordo.WaitForEvent[struct{}](ctx, "go", "go", 24*time.Hour); err != nil {
				return 0, err
			}
		}
		return ordo.Do(ctx, "charge", nil, func(ctx context.Context) (int, error) {
			k.enter(p)
			defer k.leave(p)
			select {
			case <-k.gate(p.N):
				return p.N, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}).WithConcurrency(ordo.Concurrency[payment]{Key: func(p payment) string { return p.Customer }, Limit: limit})
}

func createPayment(t *testing.T, e *ordo.Engine, p payment) string {
	t.Helper()
	in, err := keyed(nil, 1).Create(t.Context(), e, p, &ordo.CreateOptions{ID: fmt.Sprintf("pay-%d", p.N)})
	if err != nil {
		t.Fatal(err)
	}
	return in.ID
}

// waitsForSlot waits until the instance waits, without a worker, for its
// concurrency slot (it never ran its charge), its journal saying so.
func waitsForSlot(t *testing.T, e *ordo.Engine, k *keyRuns, id string, n int) {
	t.Helper()
	want := ordo.ConcurrencyWaitStatus("payment", "a", 1)
	waitFor(t, e, id, "waiting for its concurrency slot", func(in *ordo.Instance) bool {
		w := stepByKey(in, store.ConcurrencyWaitKey)
		return in.Status == ordo.StatusWaiting && in.WakeAt != nil && len(in.Steps) == 1 &&
			w.Kind == store.KindConcurrency && w.Status == store.StepWaiting && w.CustomStatus == want &&
			w.WakeAt != nil && w.WakeAt.Equal(*in.WakeAt)
	})
	if k.startedOnce(n) {
		t.Fatalf("payment %d ran its charge although its key's slot is taken", n)
	}
}

// testConcurrencyPerKey: with a limit of 1 per customer, the payments of
// customer a run one at a time, in the order they came, while customer
// b's runs beside them; the waiting ones hold no worker (the engine has
// 2, and b runs while 2 of a wait).
func testConcurrencyPerKey(t *testing.T, s Suite) {
	k := newKeyRuns()
	e := newEngine(t, ordo.Config{Store: s.Open(t), Concurrency: 2, PollInterval: 20 * time.Millisecond,
		LimitRecheck: time.Hour, LeaseDuration: 30 * time.Second})
	mustRegister(t, e, keyed(k, 1))
	startEngine(t, e)

	a1 := createPayment(t, e, payment{Customer: "a", N: 1})
	eventually(t, "payment 1 charging", func() bool { return k.running(map[string]int{"a": 1}) })
	a2 := createPayment(t, e, payment{Customer: "a", N: 2})
	waitsForSlot(t, e, k, a2, 2)
	a3 := createPayment(t, e, payment{Customer: "a", N: 3})
	waitsForSlot(t, e, k, a3, 3)
	b4 := createPayment(t, e, payment{Customer: "b", N: 4})
	eventually(t, "payments 1 and 4 charging, 2 and 3 waiting without a worker", func() bool {
		return k.running(map[string]int{"a": 1, "b": 1}) && e.Active() == 2
	})
	k.open(4)
	for _, n := range []int{1, 2, 3} {
		eventually(t, fmt.Sprintf("payment %d charging alone", n), func() bool {
			return k.startedOnce(n) && k.running(map[string]int{"a": 1})
		})
		k.open(n)
	}
	for _, id := range []string{a1, a2, a3, b4} {
		got := waitDone(t, e, id)
		if got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
		w := stepByKey(got, store.ConcurrencyWaitKey)
		waited := id == a2 || id == a3
		if waited && (w.Status != store.StepCompleted || w.FinishedAt == nil || w.CustomStatus != "" || w.Attempts < 1) ||
			!waited && w.Key != "" {
			t.Errorf("%s: concurrency wait entry %+v; want one completed for a payment that waited, none otherwise", id, w)
		}
		if got.CustomStatus != "" || string(got.Output) != strings.TrimPrefix(id, "pay-") {
			t.Errorf("%s: custom status %q, output %s; the wait must not touch them", id, got.CustomStatus, got.Output)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if m := k.most["a"]; m != 1 {
		t.Errorf("%d payments of customer a charged at once, want 1", m)
	}
	if a := slices.DeleteFunc(slices.Clone(k.started), func(n int) bool { return n == 4 }); !slices.Equal(a, []int{1, 2, 3}) {
		t.Errorf("customer a's payments charged in the order %v, want 1 2 3 (oldest waiter first)", a)
	}
}

// testConcurrencyLimitTwo: a limit of 2 lets two instances of a key run
// at once, never three; each end of a charge lets the next one run.
func testConcurrencyLimitTwo(t *testing.T, s Suite) {
	k := newKeyRuns()
	env := s.Env(t, nil)
	env.Register(keyed(k, 2))
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = createPayment(t, env.Engine, payment{Customer: "a", N: i + 1})
	}
	for done := range len(ids) {
		want := min(2, len(ids)-done)
		eventually(t, fmt.Sprintf("%d payments charging, %d started", want, done+want), func() bool {
			k.mu.Lock()
			started := len(k.started)
			k.mu.Unlock()
			return k.running(map[string]int{"a": want}) && started == done+want
		})
		k.mu.Lock()
		next := k.started[done]
		k.mu.Unlock()
		k.open(next)
	}
	for _, id := range ids {
		if got := env.WaitDone(id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	if m := k.mostOf("a"); m != 2 {
		t.Errorf("at most %d payments of one key charged at once, want 2", m)
	}
}

// testConcurrencySleepFrees: an instance that sleeps, or waits for an
// event, holds no slot: with a limit of 1, another payment of its key
// charges meanwhile. One woken while that payment holds the slot waits for
// it (its wait is in the journal after the steps it replays) and goes on
// once the slot is free.
func testConcurrencySleepFrees(t *testing.T, s Suite) {
	k := newKeyRuns()
	env := s.Env(t, nil)
	env.Register(keyed(k, 1))
	napper := createPayment(t, env.Engine, payment{Customer: "a", N: 1, Nap: true})
	waitingOn(t, env.Engine, napper, "nap#1")
	awaiter := createPayment(t, env.Engine, payment{Customer: "a", N: 2, Await: true})
	waitingOn(t, env.Engine, awaiter, "go#1")
	other := createPayment(t, env.Engine, payment{Customer: "a", N: 3})
	eventually(t, "payment 3 charging while 1 sleeps and 2 awaits an event", func() bool {
		return k.running(map[string]int{"a": 1}) && k.startedOnce(3)
	})
	env.SendEvent(awaiter, "go", struct{}{})
	waitFor(t, env.Engine, awaiter, "payment 2 waiting for the slot after its event", func(in *ordo.Instance) bool {
		w := stepByKey(in, store.ConcurrencyWaitKey)
		return in.Status == ordo.StatusWaiting && w.Status == store.StepWaiting && w.Ordinal == 1
	})
	k.open(3)
	eventually(t, "payment 2 charging once 3 is done", func() bool { return k.running(map[string]int{"a": 1}) && k.startedOnce(2) })
	k.open(2)
	k.open(1)
	for _, id := range []string{other, awaiter, napper} {
		if got := env.WaitDone(id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	if m := k.mostOf("a"); m != 1 {
		t.Errorf("%d payments of customer a charged at once, want 1", m)
	}
}

// testConcurrencyDeadWorker: the slot of an instance whose worker died
// (an engine whose clock never moves, so it never renews its lease) is
// free once its lease expired: on another engine an hour later, both
// payments of the key complete, one at a time.
func testConcurrencyDeadWorker(t *testing.T, s Suite) {
	st := s.Open(t)
	deadRuns, liveRuns := newKeyRuns(), newKeyRuns()
	dead := ordotest.New(t, &ordotest.Options{Store: st})
	dead.Register(keyed(deadRuns, 1))
	a1 := createPayment(t, dead.Engine, payment{Customer: "a", N: 1})
	eventually(t, "payment 1 charging on the dead worker", func() bool { return deadRuns.running(map[string]int{"a": 1}) })
	a2 := createPayment(t, dead.Engine, payment{Customer: "a", N: 2})
	waitsForSlot(t, dead.Engine, deadRuns, a2, 2)

	env := ordotest.New(t, &ordotest.Options{Store: st, Start: dead.Clock.Now().Add(time.Hour)})
	env.Register(keyed(liveRuns, 1))
	eventually(t, "a payment charging on the live engine", func() bool { return liveRuns.running(map[string]int{"a": 1}) })
	liveRuns.mu.Lock()
	first := liveRuns.started[0]
	liveRuns.mu.Unlock()
	liveRuns.open(first)
	liveRuns.open(3 - first)
	for _, id := range []string{a1, a2} {
		if got := env.WaitDone(id); got.Status != ordo.StatusComplete {
			t.Fatalf("%s ended %s: %+v", id, got.Status, got.Error)
		}
	}
	if m := liveRuns.mostOf("a"); m != 1 {
		t.Errorf("%d payments of customer a charged at once on the live engine, want 1", m)
	}
	deadRuns.open(1)
	eventually(t, "the dead worker's run to end", func() bool { return dead.Engine.Active() == 0 })
}

// testConcurrencyErrors: an invalid Concurrency makes Register fail; a
// key that panics or is too long fails the instance before it runs; a
// WithConcurrencyFunc limit of 0 is no limit.
func testConcurrencyErrors(t *testing.T, s Suite) {
	env := s.Env(t, nil)
	noop := func(context.Context, payment) (int, error) { return 0, nil }
	for _, limit := range []int{0, -1, 10001} {
		wf := ordo.NewWorkflow("bad-limit", noop).WithConcurrency(ordo.Concurrency[payment]{Limit: limit})
		if err := env.Engine.Register(wf); !errors.Is(err, ordo.ErrInvalidArgument) || !strings.Contains(err.Error(), "Concurrency.Limit") {
			t.Errorf("Register with Limit %d: %v, want ErrInvalidArgument naming Concurrency.Limit", limit, err)
		}
	}
	var ran atomic.Bool
	panics := ordo.NewWorkflow("key-panics", func(context.Context, payment) (int, error) { ran.Store(true); return 0, nil }).
		WithConcurrency(ordo.Concurrency[payment]{Limit: 1, Key: func(payment) string { panic("no key") }})
	_, inst, err := ordotest.Run(env, panics, payment{})
	if err == nil || inst.Status != ordo.StatusErrored || !strings.Contains(errText(inst), "concurrency key") ||
		!strings.Contains(errText(inst), "no key") || ran.Load() {
		t.Errorf("a Key that panics: %s %+v (ran %v), want errored naming the concurrency key's panic", inst.Status, inst.Error, ran.Load())
	}
	long := ordo.NewWorkflow("key-long", noop).
		WithConcurrency(ordo.Concurrency[payment]{Limit: 1, Key: func(payment) string { return strings.Repeat("k", 257) }})
	if _, inst, _ := ordotest.Run(env, long, payment{}); inst.Status != ordo.StatusErrored ||
		!strings.Contains(errText(inst), "longer than 256") {
		t.Errorf("a 257-byte key: %s %+v, want errored, the key too long", inst.Status, inst.Error)
	}
	k := newKeyRuns()
	unlimited := ordo.NewWorkflow("payment", func(ctx context.Context, p payment) (int, error) {
		return ordo.Do(ctx, "charge", nil, func(ctx context.Context) (int, error) {
			k.enter(p)
			defer k.leave(p)
			<-k.gate(p.N)
			return p.N, nil
		})
	}).WithConcurrencyFunc(func(context.Context, payment) (string, int, error) { return "all", 0, nil })
	env.Register(unlimited)
	ids := []string{createPayment(t, env.Engine, payment{Customer: "a", N: 1}), createPayment(t, env.Engine, payment{Customer: "a", N: 2})}
	eventually(t, "both payments charging with a limit of 0", func() bool { return k.running(map[string]int{"a": 2}) })
	k.open(1)
	k.open(2)
	for _, id := range ids {
		env.WaitDone(id)
	}
}

// errText is the instance's error message, "" for none.
func errText(in *ordo.Instance) string {
	if in.Error == nil {
		return ""
	}
	return in.Error.Message
}
