package auth

import "context"

type principalKey struct{}

type holderKey struct{}

// holder is where WithPrincipal also leaves the principal, so that a
// layer that saw the request before authentication (the audit log around
// the dashboard, which signs in itself) learns who made it.
type holder struct{ p *Principal }

// WithPrincipal returns ctx carrying p: the HTTP layer stores who made a
// request so that handlers can record it. If ctx came from WithRecorder,
// the recorder learns p too.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	if h, ok := ctx.Value(holderKey{}).(*holder); ok && h.p == nil {
		h.p = p
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored by WithPrincipal; false when the
// request was not authenticated (a server running without keys).
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// WithRecorder returns ctx with a place where the first WithPrincipal made
// from it (or from a context derived from it) leaves its principal, and a
// function that returns that principal once the request is handled.
func WithRecorder(ctx context.Context) (context.Context, func() (*Principal, bool)) {
	h := &holder{}
	return context.WithValue(ctx, holderKey{}, h), func() (*Principal, bool) { return h.p, h.p != nil }
}
