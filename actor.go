package ordo

import "context"

// LocalActor is the actor recorded for operator actions taken without an
// API key: from Go code, from the CLI on the database, or through a
// server that runs without authentication.
const LocalActor = "local"

type actorKey struct{}

type reasonKey struct{}

// WithActor returns ctx naming who acts: the audit trail records actor
// (an API key's name) for the operator actions taken with ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns the actor stored by WithActor, or LocalActor.
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return LocalActor
}

// WithReason returns ctx carrying the reason an operator gave for the
// actions taken with ctx (pause, resume, terminate, restart); the audit
// trail records it.
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason)
}

// Reason returns the reason stored by WithReason, or "".
func Reason(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}
