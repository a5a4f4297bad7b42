package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// subscribersEnv makes an `ordo serve` child of this test binary register
// the tally workflow of TestEventsWorkersKilledPostgres, as a shop
// embedding the engine registers its workflows.
const subscribersEnv = "ORDO_TEST_SUBSCRIBERS"

// tallySubscription is the subscription of the tally workflow.
const tallySubscription = "tally:order.placed"

func init() {
	if os.Getenv(subscribersEnv) == "1" {
		serveExtensions = append(serveExtensions, func() serveExtension { return subscribersExtension{} })
	}
}

// subscribersExtension registers the tally workflow with the server's
// engine, started by every published order.placed event.
type subscribersExtension struct{}

func (subscribersExtension) flags(*cobra.Command) {}

func (subscribersExtension) setup(_ context.Context, s *serverParts) error {
	type placed struct {
		ID string `json:"id"`
	}
	wf := ordo.NewWorkflow("tally", func(ctx context.Context, p placed) (string, error) {
		return ordo.Do(ctx, "tally", nil, func(context.Context) (string, error) { return p.ID, nil })
	}).On("order.placed")
	return s.engine.Register(wf)
}

// TestEventsWorkersKilledPostgres: 1,000 order.placed events, each POSTed
// twice over HTTP to three `ordo serve --postgres` workers sharing one
// schema, with two subscriptions: a registered workflow's and an order
// flow's trigger. One worker is SIGKILLed mid-way (a send it did not answer
// is sent again to another). Exactly 2,000 instances exist, the workflow's
// with the ID derived from its subscription and the event, the orders with
// the payload's id, all complete; every event is stored once with both
// deliveries started; a repeated event ID answers 200 with the first event
// and starts nothing.
func TestEventsWorkersKilledPostgres(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	const events = 1000
	mail := ordertest.StartMailServer(t, nil)
	dir := t.TempDir()
	args := []string{"--postgres", url, "--data-dir", filepath.Join(dir, "unused"),
		"--smtp-url", mail.URL(), "--mail-from", "Shop <shop@example.com>"}
	env := []string{subscribersEnv + "=1"}
	workers := []*serveProcess{startServeEnv(t, env, args...)}
	flowFile := filepath.Join(dir, "box.json")
	if err := os.WriteFile(flowFile, []byte(`{"description": "every placed order", "triggers": [{"event": "order.placed"}],
		"steps": [{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
		"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCLI(t, "flows", "apply", "box", flowFile, "--server", workers[0].URL); err != nil {
		t.Fatalf("flows apply: %v\n%s", err, errOut)
	}
	// The others load the flow, and its trigger, when they start.
	workers = append(workers, startServeEnv(t, env, args...), startServeEnv(t, env, args...))
	const victim = 2
	var killed atomic.Bool

	type answers struct {
		mu       sync.Mutex
		accepted int  // 202: stored by this send
		repeated int  // 200: stored before
		unsure   bool // a send got no answer (its worker died): it may have stored the event
	}
	results := make([]answers, events)
	var sends atomic.Int64
	var killOnce sync.Once
	client := &http.Client{Timeout: 60 * time.Second}
	send := func(i, first int) error {
		body := fmt.Sprintf(`{"id": "evt-%04d", "type": "order.placed", "payload": {"id": "order-%04d",
			"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "BOX", "quantity": 1}]}}`, i, i)
		var lastErr error
		for try := range 30 { // every live worker, several times: a loaded machine may refuse for a while
			w := (first + try) % len(workers)
			if w == victim && killed.Load() {
				continue
			}
			resp, err := client.Post(workers[w].URL+"/v1/events", "application/json", strings.NewReader(body))
			if err != nil {
				results[i].mu.Lock()
				results[i].unsure = true
				results[i].mu.Unlock()
				lastErr = err
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var ev struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(b, &ev)
			switch {
			case resp.StatusCode == http.StatusAccepted && ev.ID == fmt.Sprintf("evt-%04d", i):
				results[i].mu.Lock()
				results[i].accepted++
				results[i].mu.Unlock()
				return nil
			case resp.StatusCode == http.StatusOK && ev.ID == fmt.Sprintf("evt-%04d", i):
				results[i].mu.Lock()
				results[i].repeated++
				results[i].mu.Unlock()
				return nil
			case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
				lastErr = fmt.Errorf("status %d: %s", resp.StatusCode, b)
			default:
				return fmt.Errorf("event %d: status %d: %s", i, resp.StatusCode, b)
			}
		}
		return fmt.Errorf("event %d not published: %w", i, lastErr)
	}

	// Eight publishers; send k of event i goes first to worker (i+k)%3.
	// After half of the 2,000 sends the victim is SIGKILLed.
	jobs := make(chan [2]int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := send(j[0], j[1]); err != nil {
					errs <- err
					return
				}
				if sends.Add(1) == events {
					killOnce.Do(func() {
						go func() {
							killed.Store(true)
							workers[victim].kill()
						}()
					})
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range events {
			for k := range 2 {
				jobs <- [2]int{i, i + k}
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if !killed.Load() {
		t.Fatal("the victim was not killed")
	}
	<-workers[victim].done

	// Each event was stored by one send at most; a send answered 200 saw
	// the first. An event no send stored was stored by a send the victim
	// did not answer.
	unanswered := 0
	for i := range results {
		r := &results[i]
		if r.unsure {
			unanswered++
		}
		if r.accepted+r.repeated != 2 || r.accepted > 1 || (r.accepted == 0 && !r.unsure) {
			t.Errorf("event %d: %d answers 202, %d answers 200, unanswered send %v", i, r.accepted, r.repeated, r.unsure)
		}
	}

	st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	listAll := func() []*store.Instance {
		var all []*store.Instance
		p := &store.InstanceListParams{Limit: store.MaxListLimit}
		for {
			page, err := st.InstanceList(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Instances...)
			if page.NextCursor == "" || len(all) > 3*events {
				return all
			}
			p.Cursor = page.NextCursor
		}
	}
	// The victim's instances go back to the others when its lease ends.
	var all []*store.Instance
	waitUntil(t, 120*time.Second, "every instance is complete", func() bool {
		all = listAll()
		for _, in := range all {
			if in.Status != store.StatusComplete {
				return false
			}
		}
		return len(all) >= 2*events
	})

	want := map[string]bool{}
	for i := range events {
		want[ordo.SubscriptionInstanceID(tallySubscription, fmt.Sprintf("evt-%04d", i))] = true
		want[fmt.Sprintf("order-%04d", i)] = true
	}
	seen := map[string]bool{}
	for _, in := range all {
		if seen[in.ID] {
			t.Errorf("instance %s listed twice", in.ID)
		}
		seen[in.ID] = true
		if !want[in.ID] {
			t.Errorf("unexpected instance %s (%s)", in.ID, in.Workflow)
		}
	}
	if len(all) != 2*events || len(seen) != 2*events {
		t.Fatalf("%d instances (%d distinct), want %d", len(all), len(seen), 2*events)
	}

	for i := range events {
		id := fmt.Sprintf("evt-%04d", i)
		ev, err := st.PublishedGet(t.Context(), id)
		if err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
		if len(ev.Deliveries) != 2 {
			t.Fatalf("event %s: deliveries %+v", id, ev.Deliveries)
		}
		for _, d := range ev.Deliveries {
			wantID := ordo.SubscriptionInstanceID(tallySubscription, id)
			if d.Subscription == "flow:box:0" {
				wantID = fmt.Sprintf("order-%04d", i)
			}
			if d.Outcome != store.DeliveryStarted || d.InstanceID != wantID {
				t.Errorf("event %s: delivery %+v", id, d)
			}
		}
	}

	// Once more, to a survivor: 200 with the first event, nothing started.
	resp, err := client.Post(workers[0].URL+"/v1/events", "application/json",
		strings.NewReader(`{"id": "evt-0007", "type": "order.placed", "payload": {"id": "order-other",
			"customer": {"name": "Bob", "email": "bob@example.com"}, "items": [{"sku": "BOX", "quantity": 2}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"order-0007"`) {
		t.Fatalf("repeated event: %d %s", resp.StatusCode, b)
	}
	if n := len(listAll()); n != 2*events {
		t.Fatalf("%d instances after the repeat", n)
	}
	t.Logf("%d events sent again after the victim did not answer", unanswered)
	for _, w := range workers[:victim] {
		if err := w.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
}
