package auth

import "context"

type principalKey struct{}

// WithPrincipal returns ctx carrying p: the HTTP layer stores who made a
// request so that handlers can record it.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored by WithPrincipal; false when the
// request was not authenticated (a server running without keys).
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
