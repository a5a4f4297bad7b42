// Package memory is an in-memory implementation of the store seam, for
// workflow unit tests that need no database (the public test helpers use
// it). It passes the same conformance suite as the SQL backends.
//
// A Store is a mutex around maps. Everything is deep-copied on the way in
// and on the way out, so callers can never alias stored data. Nothing
// survives the process; "durable" here means "visible to the next call".
package memory
