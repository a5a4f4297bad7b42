// Package sqlite is the SQLite backend of the store seam, on the pure-Go
// driver modernc.org/sqlite.
//
// Open a database with Open, bring its schema up to date with
// Store.Migrate (Open never migrates), then hand the *Store to the engine:
//
//	s, err := sqlite.Open(ctx, "data/ordo.db", nil)
//	if err != nil { ... }
//	defer s.Close()
//	if err := s.Migrate(ctx); err != nil { ... }
//
// The database runs in WAL mode with synchronous=FULL, so every write is on
// disk when its method returns. SQLite allows one writer at a time: the
// Store funnels every write through a single connection (write transactions
// start with BEGIN IMMEDIATE, so they never fail half-way on a lock) and
// serves reads from a small pool of read-only connections, which WAL lets
// run alongside the writer. Store.Commit applies a whole batch of updates in
// one transaction, so one fsync covers many instances.
//
// Times are stored as INTEGER unix microseconds in UTC and JSON payloads as
// TEXT, byte for byte. See docs/sqlite-driver.md for why this backend uses
// the pure-Go driver.
package sqlite
