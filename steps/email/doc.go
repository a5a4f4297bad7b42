// Package email performs the SMTP I/O behind Ordo's built-in "email" step:
// it sends one message through an SMTP server with
// github.com/wneessen/go-mail and classifies the outcome for the engine's
// retry logic.
//
// A Sender is made once from a Config whose URL names the server, the
// credentials and the TLS mode:
//
//	smtp://user:pass@mail.example.com        STARTTLS when offered, port 587
//	smtp://mail.example.com?tls=mandatory    STARTTLS required, port 25
//	smtp://127.0.0.1:2525?tls=none           plain text (tests, local relays)
//	smtps://user:pass@mail.example.com       implicit TLS, port 465
//
// Send opens a connection per message and closes it when the context is
// done, so the step's timeout bounds the whole conversation.
//
// # Idempotency
//
// SMTP has no idempotency key: if the process dies after the server
// accepted a message but before the step's result was recorded, the step
// runs again and the message is sent twice. MessageID derives a stable
// Message-ID from the instance and step, so the copies carry the same ID
// and can be recognised (many mail systems drop a duplicate Message-ID).
//
// # Classification
//
// Send returns nil once the server has accepted the message (a failure of
// the RSET or QUIT that follows is ignored). Otherwise it returns a
// *SendError naming the server and the recipients:
//
//   - An SMTP 5xx reply (unknown recipient, rejected content, failed
//     authentication) is permanent: the error is ordo.NonRetryable. When
//     several recipients are refused, one 5xx makes the whole message
//     permanent, since the transaction is all or nothing.
//   - An SMTP 4xx reply (greylisting, mailbox busy, rate limit) is
//     temporary: a plain error, retried per the step's policy.
//   - Network errors, TLS handshake failures, timeouts and a cancelled
//     context are retried; the error wraps the context's error when the
//     context ended the conversation.
//   - An invalid message (no recipient, a malformed address, a line break in
//     a header) wraps ordo.ErrInvalidArgument and is ordo.NonRetryable, as
//     are credentials that cannot be used with the server (no common AUTH
//     mechanism, or PLAIN/LOGIN over an unencrypted connection to a host
//     other than loopback).
//
// # Templates
//
// Parse and Render take subjects, bodies and recipients written in Go's
// text/template syntax over the step's data, for example
//
//	Your order {{.Order.ID}} has shipped.
//	{{range .Order.Items}}{{printf "%-10s x%d" .SKU .Quantity}}
//	{{end}}
//
// A missing key is an error rather than "<no value>". What one template
// may cost is bounded twice. Parse refuses what could not be bounded or is
// wrong before anything runs: loops over constants, printf widths over
// MaxFormatWidth, {{define}} and {{template}}, call, methods called with
// arguments, more than MaxControls control actions, and, given the data's
// type, fields the data does not have; each a *TemplateError with the
// line. Execute bounds the rest with Limits: the output (and every string
// a function builds), the loop iterations and the time, each a *LimitError
// that is ordo.NonRetryable.
package email
