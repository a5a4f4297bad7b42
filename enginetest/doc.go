// Package enginetest is the engine's end-to-end suite: workflows run by
// a real ordo.Engine on the store under test, proving the engine's
// behaviour (steps, retries, timeouts, sleeps, events, compensation,
// control, restarts of the engine, children, asynchronous steps, patches
// and versions, recovery from a dead worker) on every backend, as
// store/storetest proves the store's.
//
// A backend runs it from its own tests:
//
//	func TestEngine(t *testing.T) {
//		enginetest.Run(t, func(t *testing.T) store.Store { return open(t) })
//	}
//
// Every test runs in parallel on a store of its own. Time is the virtual
// clock of package ordotest wherever a test waits for a timer, so a
// one-hour sleep or retry delay passes at once; nothing sleeps to wait
// for work.
package enginetest
