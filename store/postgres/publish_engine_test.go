package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// TestPublishExactlyOnce publishes 1,000 events, each twice and from 8
// goroutines at once, to an engine with two subscriptions on PostgreSQL:
// exactly 2,000 instances start, one per event and subscription, and all
// of them run to the end.
func TestPublishExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 events")
	}
	s := open(t)
	eng, err := ordo.NewEngine(ordo.Config{Store: s, Logger: slog.New(slog.DiscardHandler),
		PollInterval: 20 * time.Millisecond, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	type order struct {
		N int `json:"n"`
	}
	step := func(ctx context.Context, o order) (int, error) { return o.N, nil }
	if err := eng.Register(
		ordo.NewWorkflow("ship", step).On("order.placed"),
		ordo.NewWorkflow("bill", step).On("order.placed", ordo.If("payload.n >= 0")),
	); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
	})
	const events, workers = 1000, 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Worker w publishes the events w, w+workers/2, ... so that each
			// event is published by two workers.
			for i := w % (workers / 2); i < events; i += workers / 2 {
				_, c, err := eng.Publish(context.Background(), ordo.PublishEvent{ID: fmt.Sprintf("ev-%d", i), Type: "order.placed",
					Payload: order{N: i}})
				if err != nil {
					t.Error(err)
					return
				}
				if c {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if created != events {
		t.Fatalf("%d publishes created an event, want %d (each event once)", created, events)
	}
	var n, distinct int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*), count(DISTINCT id) FROM instances`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != 2*events || distinct != n {
		t.Fatalf("%d instances (%d distinct), want exactly %d", n, distinct, 2*events)
	}
	var deliveries int
	if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM event_deliveries WHERE outcome = 'started'`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 2*events {
		t.Errorf("%d started deliveries, want %d", deliveries, 2*events)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var open int
		if err := s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM instances WHERE status <> 'complete'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d instances not complete after 60 s", open)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
