package store

// ParallelCommitter is an optional capability of a backend whose Commit
// may run several calls at once, each in a transaction of its own on a
// connection of its own, so that their work and their durable commits
// overlap (PostgreSQL). The engine's group commit then keeps up to
// CommitLanes batches in flight, and never puts updates of one instance
// (or of the instance a Notify event goes to) in two batches at once, so
// each instance's updates still apply in order and concurrent batches lock
// disjoint instance rows. A backend with one writer (SQLite) does not
// implement it: one batch at a time.
type ParallelCommitter interface {
	// CommitLanes is how many Commit calls the engine may have in flight
	// at once; 1 or less means one.
	CommitLanes() int
}
