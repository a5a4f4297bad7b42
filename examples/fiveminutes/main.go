// Command fiveminutes is the README's "Five minutes in Go": a checkout
// workflow on SQLite that sleeps, charges the cart (with a refund as the
// step's compensation), waits for the warehouse's event and fails to ship,
// so the charge is refunded and the instance ends errored. It prints each
// thing as it happens. Run it with `go run ./examples/fiveminutes`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/sqlite"
)

type Params struct{ CartID string }

var checkout = ordo.NewWorkflow("checkout", func(ctx context.Context, p Params) (string, error) {
	// Durable: survives restarts, holds no goroutine while it waits.
	if err := ordo.Sleep(ctx, "grace period", 2*time.Second); err != nil {
		return "", err
	}
	// A step: its result is stored the first time it succeeds and replayed afterwards.
	charge, err := ordo.DoWithCompensation(ctx, "charge", &ordo.StepOptions{
		Retries: &ordo.RetryPolicy{Limit: 10, Delay: time.Minute, Backoff: ordo.BackoffConstant},
		Timeout: 30 * time.Second,
	}, func(ctx context.Context) (string, string, error) {
		info, _ := ordo.StepInfoFrom(ctx) // info.IdempotencyKey is stable across retries and restarts
		chargeID := "ch_" + info.IdempotencyKey
		fmt.Println("charged cart", p.CartID, "as", chargeID)
		return chargeID, chargeID, nil // output, and the data the compensation needs
	}, func(ctx context.Context, chargeID string) error {
		fmt.Println("refunded", chargeID) // runs because a later step fails the workflow
		return nil
	})
	if err != nil {
		return "", err
	}
	// Wait up to a day for the warehouse to confirm.
	if _, err := ordo.WaitForEvent[map[string]any](ctx, "packed", "order.packed", 24*time.Hour); err != nil {
		return "", err // ErrEventTimeout: compensations run, the instance ends errored
	}
	_, err = ordo.Do(ctx, "ship", nil, func(ctx context.Context) (bool, error) {
		return false, ordo.NonRetryable(errors.New("no carrier")) // fail at once, no retries
	})
	return charge, err
})

func main() {
	if err := run(context.Background(), "ordo.db"); err != nil {
		fmt.Fprintln(os.Stderr, "fiveminutes:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbPath string) (err error) {
	st, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	engine, err := ordo.NewEngine(ordo.Config{Store: st})
	if err != nil {
		return err
	}
	if err := engine.Register(checkout); err != nil {
		return err
	}
	if err := engine.Start(ctx); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, engine.Stop(ctx)) }()

	inst, err := checkout.Create(ctx, engine, Params{CartID: "123"}, nil)
	if err != nil {
		return err
	}
	fmt.Println("created instance", inst.ID, "of", inst.Workflow)
	// Sent before the instance waits for it: the event is kept until then.
	if err := engine.SendEvent(ctx, inst.ID, "order.packed", map[string]any{"boxes": 1}); err != nil {
		return err
	}
	fmt.Println("sent order.packed")
	final, err := engine.Wait(ctx, inst.ID)
	if err != nil {
		return err
	}
	fmt.Println("instance", final.ID, "ended", final.Status)
	if final.Error != nil {
		fmt.Println("error:", final.Error.Message)
	}
	for _, s := range final.Steps {
		line := fmt.Sprintf("  step %-12s %s", s.Name, s.Status)
		if s.CompensationStatus != "" {
			line += ", compensation " + string(s.CompensationStatus)
		}
		fmt.Println(line)
	}
	return nil
}
