// Package bench measures the engine on the workloads of the shared
// benchmark definition (WF3 and its variants) against a fresh SQLite
// database, together with the machine's baseline measured in the same run:
// single-row durable INSERT commits per second on the same settings.
// `ordo bench` prints its Result as one JSON line.
package bench
