// Package postgres is the PostgreSQL backend of the store seam, on
// github.com/jackc/pgx/v5 and its connection pool. It is the backend for
// several `ordo serve` processes, on several machines, sharing one
// database: PostgreSQL is the coordinator, there is no protocol of Ordo's
// own between the workers.
//
// Open a store with Open, bring its schema up to date with Store.Migrate
// (Open never migrates; Migrate takes an advisory lock, so workers that
// start together apply each migration once), then hand the *Store to the
// engine:
//
//	s, err := postgres.Open(ctx, "postgres://ordo@db/ordo", nil)
//	if err != nil { ... }
//	defer s.Close()
//	if err := s.Migrate(ctx); err != nil { ... }
//
// How the engine's guarantees map onto PostgreSQL:
//   - InstanceClaim takes runnable rows with FOR UPDATE SKIP LOCKED in the
//     statement that leases them, so concurrent claimers in any number of
//     processes never take the same instance and never wait for each other.
//   - Every write a worker makes for an instance (Commit) is fenced by its
//     lease token inside the transaction, with the instance row locked: a
//     worker that lost its lease (paused by GC, cut off by the network)
//     cannot overwrite the new owner's results.
//   - Store.Commit applies a whole batch of updates, from many instances, as
//     one transaction sent in one round trip (a pgx pipeline of two
//     set-based statements over arrays: lock, then write), so one WAL flush
//     covers them all.
//   - InstanceClaim reads the claimed instances' journals in the same round
//     trip and keeps them for the JournalLoad that follows each claim.
//   - Store implements store.Waker with LISTEN/NOTIFY on a connection of
//     its own: creating an instance that no engine claimed, sending an
//     event, resuming or restarting an instance wakes idle workers in every
//     process within milliseconds. Notifications are sent inside the
//     transaction that makes the work runnable, so they arrive after its
//     commit; engines still poll as a safety net.
//   - Connection loss and database restarts surface as errors of single
//     calls; the pool reconnects on the next call and the listener
//     reconnects with backoff, signalling a wake-up once it is back.
//
// Times are timestamptz (microseconds, returned in UTC); JSON payloads are
// bytea, byte for byte; names that are sorted or compared use the "C"
// collation so the order matches the other backends on any locale.
// It implements store.FlowStore too.
package postgres
