package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestClaimWaitsForLockedRow: a queued instance whose row another
// transaction holds locked while a claim runs (a refused operator action,
// say, which leaves it queued and wakes nobody) is still claimed by that
// claim once the lock is gone, instead of waiting for the next poll.
func TestClaimWaitsForLockedRow(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "q1", Workflow: "pay", Now: t0}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgtest.WithSearchPath(t, pgtest.URL(t), s.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	holder, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := holder.QueryRow(ctx, `SELECT pg_backend_pid() FROM instances WHERE id = 'q1' FOR NO KEY UPDATE`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	type result struct {
		claimed []*store.Instance
		err     error
	}
	done := make(chan result, 1)
	go func() {
		got, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: 4, Now: t0, LeaseUntil: t0.Add(time.Minute)})
		done <- result{got, err}
	}()
	// The claim passed over the row and now waits for its lock.
	for deadline := time.Now().Add(20 * time.Second); ; {
		var waiting bool
		if err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the claim returned %d instances (%v) while the row was locked, want it to wait for the lock", len(r.claimed), r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no claim waits for the locked row")
		}
		time.Sleep(5 * time.Millisecond) // polling pg_stat_activity for the waiter
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.claimed) != 1 || r.claimed[0].ID != "q1" {
		t.Fatalf("claim after the lock went: %d instances, %v; want q1", len(r.claimed), r.err)
	}
}
