package order_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// TestFlowConcurrency: with a flow's "concurrency" of 1 per
// customer.email, two orders of one customer never push at once, while
// another customer's order pushes beside them; all three complete.
func TestFlowConcurrency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now, most := map[string]int{}, map[string]int{}
	release := make(chan struct{})
	f := setup(t, &setupOptions{respond: func(r *http.Request, req *ordertest.Request) (int, string) {
		who := "bob"
		if bytes.Contains(req.Body, []byte("ada@example.com")) {
			who = "ada"
		}
		mu.Lock()
		now[who]++
		most[who] = max(most[who], now[who])
		mu.Unlock()
		defer func() {
			mu.Lock()
			now[who]--
			mu.Unlock()
		}()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK, `{"ok":true}`
	}})
	f.apply("serial", []byte(`{"concurrency": {"key": "customer.email", "limit": 1}, "steps": [
		{"stepDefinitionId": "push", "type": "consume-rest-api", "successStatus": "Pushed",
		 "options": {"uri": "`+f.rest.URL+`/orders"}}]}`))
	inFlight := func(ada, bob int) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return now["ada"] == ada && now["bob"] == bob
		}
	}
	order1 := sampleOrder("ada-1", "serial")
	f.create(order1)
	poll(t, "ada-1 pushing", inFlight(1, 0))
	f.create(sampleOrder("ada-2", "serial"))
	bob := sampleOrder("bob-1", "serial")
	bob.Customer = order.Customer{Name: "Bob", Email: "bob@example.com"}
	f.create(bob)
	poll(t, "ada-1 and bob-1 pushing, ada-2 waiting", func() bool {
		in, err := f.env.Engine.Get(t.Context(), "ada-2")
		return err == nil && in.Status == ordo.StatusWaiting && inFlight(1, 1)()
	})
	release <- struct{}{}
	release <- struct{}{}
	poll(t, "ada-2 pushing once ada-1 is done", inFlight(1, 0))
	release <- struct{}{}
	for _, id := range []string{"ada-1", "ada-2", "bob-1"} {
		if o := f.finish(id); o.Status != "Pushed" {
			t.Errorf("order %s ended %q, want Pushed", id, o.Status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most["ada"] != 1 {
		t.Errorf("%d orders of ada pushed at once, want 1", most["ada"])
	}
}

// poll waits until cond holds, failing the test after waitTimeout.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // the engine works on other goroutines
	}
}
