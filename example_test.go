package ordo_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/memory"
)

// A workflow with a retried step, a durable sleep and a compensation,
// run on an engine (here on the in-memory store; use store/sqlite in
// production).
func Example() {
	ctx := context.Background()
	engine, _ := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: quietLogger()})
	attempts := 0
	wf := ordo.NewWorkflow("greet", func(ctx context.Context, name string) (string, error) {
		greeting, err := ordo.Do(ctx, "compose", &ordo.StepOptions{
			Retries: &ordo.RetryPolicy{Limit: 3, Delay: 10 * time.Millisecond, Backoff: ordo.BackoffConstant},
		}, func(ctx context.Context) (string, error) {
			attempts++
			if attempts < 2 {
				return "", errors.New("temporary failure")
			}
			return "hello " + name, nil
		})
		if err != nil {
			return "", err
		}
		if err := ordo.Sleep(ctx, "pause", 10*time.Millisecond); err != nil {
			return "", err
		}
		return greeting, nil
	})
	_ = engine.Register(wf)
	_ = engine.Start(ctx)
	defer func() { _ = engine.Stop(ctx) }()

	inst, _ := wf.Create(ctx, engine, "Ann", nil)
	final, _ := engine.Wait(ctx, inst.ID)
	out, _ := wf.Output(final)
	fmt.Println(final.Status, out)
	for _, s := range final.Steps {
		fmt.Println(s.Key, s.Kind, s.Status, s.Attempts)
	}
	// Output:
	// complete hello Ann
	// compose#1 do completed 2
	// pause#1 sleep completed 0
}

// Compensations undo finished steps in reverse order when the workflow
// fails.
func ExampleDoWithCompensation() {
	ctx := context.Background()
	engine, _ := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: quietLogger()})
	wf := ordo.NewWorkflow("reserve-and-charge", func(ctx context.Context, _ struct{}) (string, error) {
		for _, step := range []string{"reserve stock", "charge card"} {
			_, err := ordo.DoWithCompensation(ctx, step, nil,
				func(ctx context.Context) (string, string, error) { return step + " done", step, nil },
				func(ctx context.Context, what string) error {
					fmt.Println("undo", what)
					return nil
				})
			if err != nil {
				return "", err
			}
		}
		_, err := ordo.Do(ctx, "ship", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			return "", errors.New("no carrier available")
		})
		return "", err
	})
	_ = engine.Register(wf)
	_ = engine.Start(ctx)
	defer func() { _ = engine.Stop(ctx) }()
	inst, _ := wf.Create(ctx, engine, struct{}{}, nil)
	final, _ := engine.Wait(ctx, inst.ID)
	fmt.Println(final.Status)
	fmt.Println(final.Error.Message)
	// Output:
	// undo charge card
	// undo reserve stock
	// errored
	// step "ship" failed after 1 attempt(s): no carrier available
}
