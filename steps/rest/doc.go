// Package rest performs the HTTP I/O behind Ordo's built-in "rest" step: it
// POSTs one JSON document to a URL and classifies the outcome for the
// engine's retry logic.
//
// # Requests
//
// Every request carries:
//
//	Content-Type: application/json
//	Accept: application/json
//	User-Agent: ordo/1                      (Client.UserAgent)
//	Idempotency-Key: <Request.IdempotencyKey> (required)
//	webhook-id: <Request.IdempotencyKey>    (these three only when Client.SigningSecret is set)
//	webhook-timestamp: <unix seconds>
//	webhook-signature: v1,<base64>
//	Ordo-Signature: t=<unix seconds>,v1=<hex> (only with Client.OrdoSignature too)
//
// The idempotency key lets the receiver recognise a retried POST: the engine
// may repeat a step after a crash or a timeout even though the receiver has
// already acted on it, so receivers should store the key and answer a repeat
// with the first result.
//
// # Signature schemes
//
// Requests are signed as the Standard Webhooks specification says (package
// webhook): webhook-signature is "v1," followed by the base64 of
// HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"), where the key
// is the base64-decoded part of a "whsec_" secret (webhook.KeyOf). The
// webhook-id is the idempotency key, so it is the same on every retry and a
// receiver can use any Standard Webhooks library, or webhook.Verify, both to
// check the signature and to drop repeats.
//
// The older Ordo-Signature header, sent too when Client.OrdoSignature is
// set, follows Stripe's webhook signatures. With a shared secret, the
// sender computes
//
//	t  = the current time in Unix seconds
//	v1 = lowercase hex of HMAC-SHA256(secret, "<t>.<body>")
//
// where body is the exact request body bytes, and sends them in one header.
// For the secret "whsec_123", the body {"order":"o-1"} and the time
// 1767225600 the header is
//
//	Ordo-Signature: t=1767225600,v1=442a4d121602d602882ca1aac1602c6e5fa7d3b22c4209e452c23b596480db8e
//
// which can be checked with
//
//	printf '1767225600.{"order":"o-1"}' | openssl dgst -sha256 -hmac whsec_123
//
// A receiver checks it with VerifySignature: it recomputes the HMAC over the
// body it received, compares in constant time, and rejects a timestamp more
// than a tolerance (default five minutes) away from its own clock, which
// limits replays. The header may hold several v1 entries (for example while a
// secret is rotated); the signature is valid when any of them matches.
// Entries with other keys are ignored so that a later scheme (v2) can be
// added next to v1.
//
// # Classification
//
// Post returns an error the engine can act on:
//
//   - 2xx: success. The response body is kept: JSON as is, an empty body as
//     nil, any other body as a JSON string.
//   - 408, 429 and 5xx, connection errors, timeouts and a cancelled context:
//     a plain error, which the engine retries per the step's policy. When the
//     response has a Retry-After header (delay in seconds or an HTTP date),
//     the error is wrapped with ordo.RetryAfter so the next attempt waits at
//     least that long.
//   - 3xx: redirects are never followed for a POST; the error is
//     ordo.NonRetryable and names the Location.
//   - other 4xx: ordo.NonRetryable.
//   - a request the outbound policy refuses (Client.Outbound; see package
//     outbound): ordo.NonRetryable wrapping the *outbound.RefusedError,
//     which names the rule, e.g. "outbound request to 169.254.169.254:80
//     refused: link-local/cloud metadata address (allow it with
//     --outbound-allow 169.254.169.254)". Nothing is sent.
//   - invalid input (empty URL or idempotency key, a body that is not JSON,
//     a header with a line break) and a 2xx body larger than
//     Client.MaxResponseBytes: ordo.NonRetryable.
//
// An HTTP status failure is a *StatusError (find it with errors.As) whose
// message names the URL (without its query string), the status and a short
// excerpt of the response body.
package rest
