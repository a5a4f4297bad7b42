// Package ordo is a durable workflow engine for commerce order processing.
//
// A workflow is an ordinary Go function made of named steps:
//
//	var checkout = ordo.NewWorkflow("checkout", func(ctx context.Context, p Params) (Receipt, error) {
//		cart, err := ordo.Do(ctx, "retrieve cart", opts, func(ctx context.Context) (Cart, error) { ... })
//		...
//		if err := ordo.Sleep(ctx, "cool down", time.Hour); err != nil { ... }
//		ok, err := ordo.WaitForEvent[Approval](ctx, "approval", "order.approved", 48*time.Hour)
//		...
//	})
//
// Each step's result is stored the first time it succeeds. The engine runs
// an instance by replaying its function: finished steps return their stored
// results without running, so a process that crashed or restarted carries
// on from its last finished step and never repeats one. Steps retry with a
// per-step policy (limit, delay, constant / linear / exponential backoff,
// maximum delay, jitter), have per-attempt timeouts, and fail at once on an
// error marked NonRetryable. Sleeps, event waits and retry delays store the
// instance as waiting: it holds no goroutine and no worker slot until it is
// due. Steps registered with DoWithCompensation are undone in reverse order
// when the workflow fails, or when an operator cancels the instance
// (Engine.Cancel: the running step's context is cancelled, the
// compensations run durably, and the instance ends cancelled); a
// compensation that failed for good can be retried, marked done or skipped
// (Engine.Compensation). Go and Await run steps in parallel.
//
// An Engine runs instances from a store.Store (store/sqlite by default)
// with a configurable concurrency, leases renewed by heartbeat, and a group
// commit that writes many instances' step results in one transaction.
// Instances are created, inspected and controlled (pause, resume,
// terminate, cancel, restart, send event) through the Engine or the HTTP API in
// package api. Package ordotest runs workflows in unit tests on a virtual
// clock.
package ordo
