// Package flow parses, validates and versions order flows: JSON documents
// that say which steps process an order and where each step leads.
//
// # Format
//
// A flow is the JSON array of step definitions of the order-flow seed
// document, or an object {"description": "...", "triggers": [...],
// "steps": [...]} holding that array. Triggers (object form only, at most
// 20) are published events that start an order of the flow, the event's
// payload being the order body of POST /v1/orders:
//
//	{"event": "order.placed", "if": "payload.metadata.total > 100"}
//
// where event is an event type (letters, digits and -_.:) and if, optional,
// a CEL expression over type, id and payload that must give a bool; it is
// compiled when the flow is parsed (problem code invalid_trigger, path
// /triggers/0/if). Each step has the seed's fields, with the seed's names
// and meaning:
//
//	stepDefinitionId  string, required    unique id of the step in the flow
//	type              string, required    consume-rest-api | send-email | generate-production-files
//	successStatus     string, required    the order's status once the step succeeds
//	options           object, required    options of the type (below)
//	timeout           number|string|null  longest time one attempt may run
//	onSuccess         string|null         id of the step to run when this one succeeds
//	onError           string|null         id of the step to run when this one fails
//	retries           object|null         extension: {limit, delay, backoff}
//	onCompensate      string|null         extension: id of the step that undoes this one
//	limit             string|null         extension: a limit the server declares (ordo serve --limit)
//
// The object form may also hold cancelStatus (string: the order's status
// once it was cancelled, default "Cancelled") and
// allowCancelAfterCompletion (bool, default false; see Cancellation),
// and retention: how long finished orders of the flow are kept after they
// finished before they are deleted with their production files, written
// like a timeout ("90d", "90 days", "2160h", milliseconds), 0 keeping them
// forever; absent, the server's period applies (ordo serve --retention).
// The latest version of a flow decides for all its orders.
//
// The object form may also hold concurrency, {"key": "customer.email",
// "limit": 1}: at most limit (1 to 10000) orders of the flow whose key has
// the same value run at once; the others wait, oldest first, without
// holding a worker. The key names a field of the order: customer.email,
// customer.name or metadata.NAME (an order without that metadata field has
// the key ""); absent, every order of the flow shares one limit. An order
// holds its slot while it runs, not while it waits (see ordo.Concurrency).
// Each order follows the concurrency of the flow version it runs.
//
// A timeout (and a retry delay) is a number of milliseconds, fractions
// allowed, or a string: Go's duration syntax ("30s", "1m30s", "1.5h") or a
// number and a unit word ("30 seconds", "2 minutes", "1 day"). It must be
// positive. Absent or null means the engine's default step timeout.
//
// Options by type:
//
//	consume-rest-api           uri: absolute http(s) URL the order is POSTed to
//	send-email                 recipients: [string, ...] (at least one), subject, message: strings,
//	                           attachProductionFiles: optional bool (default false)
//	generate-production-files  fileFormat: "stl" (default) or "obj"
//
// Each recipient is an e-mail address that net/mail parses, or a Go template
// such as "{{.Order.Customer.Email}}" (text containing "{{"). Subject and
// message may be templates too. Templates are e-mail templates of package
// steps/email (Go's text/template syntax with a restricted function set and
// bounded loops, see email.Parse), checked here as the runner will parse
// them; ParseWith also checks the fields they name against the data type.
//
// retries sets how a failed attempt is retried: limit (retries after the
// first attempt, 0 to 1000), delay (base delay, read like timeout) and
// backoff (constant, linear or exponential). Each absent field takes the
// engine's default.
//
// # Semantics
//
// These are the rules the runner implements:
//
//   - An instance starts at the first step of the list (Definition.First).
//   - When a step succeeds, the order's status becomes the step's
//     successStatus, then the step named by onSuccess runs. A step without
//     onSuccess ends the flow: the instance is complete.
//   - When a step fails (after its retries), the step named by onError runs;
//     the order's status is not changed by the failed step. A failing step
//     without onError ends the instance as errored.
//   - The error path is an ordinary path: the steps it runs have their own
//     successStatus, onSuccess and onError. Reaching the end of an error
//     path by success completes the instance (the seed's "error" e-mail step
//     sets the status "Failed" and completes).
//   - timeout bounds each attempt; an attempt that exceeds it fails and may
//     be retried.
//
// Because links must resolve and form no cycle, every instance ends after at
// most len(Steps) steps.
//
// # Cancellation and compensation
//
// onCompensate names the step definition that undoes a step once it
// succeeded: a consume-rest-api to the payment processor's refund
// endpoint, a send-email apologising. It must name another step of the
// flow. The compensations of the steps that succeeded run, newest first,
// when the order is cancelled (POST /v1/orders/{id}/cancel) and when a
// step fails for good without an onError path (the instance then ends
// errored, as before). A failure that follows an onError path is handled
// by that path and runs no compensation.
//
// A compensation is a real execution of the compensation step's type
// (the REST call is signed and sent with the idempotency key
// "<order>/<step>#1/compensate", the e-mail is sent), with that step's
// own options, timeout and retries. Its successStatus, onSuccess, onError
// and onCompensate are not followed: a compensation runs alone. A step
// reached only as a compensation is therefore not reported unreachable,
// but steps reached only through a compensation step's links are.
//
// A cancelled order ends with the status cancelStatus ("Cancelled") and
// its instance cancelled. An order whose flow already finished is not
// cancelled (409) unless the flow sets allowCancelAfterCompletion: then
// cancelling a complete order runs the compensations of all its completed
// steps the same way. Production files of a cancelled order are kept and
// marked cancelled in the order's answer.
//
// # Validation
//
// Parse validates a document before anything is stored and reports every
// problem at once, each a Problem with the JSON Pointer of the value
// ("/0/options/uri", or "/steps/0/options/uri" for the object form), the
// step's id and a stable code (the Code constants). The shape is checked
// against the JSON Schema returned by Schema (flow/schema.json), and the
// rest in Go: unique ids, links that resolve, no cycle (following both
// onSuccess and onError), durations, URLs, addresses and templates. Fields
// the format does not define are errors at every level, so a typo such as
// "onsuccess" is never ignored; so are keys repeated in one object. Steps
// that cannot be reached from the first step are only warnings.
//
// # Versions
//
// Applying a changed flow creates a new version; applying identical content
// is a no-op. Canonical gives the canonical JSON of a definition and Hash its
// SHA-256, so the storage layer compares content regardless of whitespace,
// key order, array or object form, or how a duration is written.
package flow
