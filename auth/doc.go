// Package auth authenticates Ordo's HTTP API and dashboard with API keys.
//
// A key is 32 random bytes, shown once when it is created ("ordo_" and 43
// base64url characters) and stored only as its SHA-256 hash (a key has 256
// bits of entropy, so a fast hash is safe, as for GitHub's tokens). Each key
// has a name and one of three scopes, each including the one before it:
//
//	read     GET everything
//	operate  also create orders and instances, send events, pause, resume,
//	         terminate, restart, cancel
//	admin    also flows, schedules, webhooks and keys
//
// A bootstrap admin key can come from the environment (ORDO_API_KEY); it is
// never stored. The dashboard signs in with a key and keeps a session
// cookie signed with the key's stored hash, so a revoked key ends its
// sessions, and every process sharing a database accepts them.
package auth
