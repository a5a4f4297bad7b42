package store

import (
	"context"
	"time"
)

// KeyStore is an optional capability of a backend: it keeps the API keys
// that authenticate HTTP requests and the audit entries of the requests
// that changed state. Discover it with a type assertion:
//
//	ks, ok := st.(store.KeyStore)
//
// Only a key's hash is stored (package auth hashes it); the key itself is
// shown once, when it is created, and never kept.
type KeyStore interface {
	// KeyCreate stores a new key. A name that an active (not revoked) key
	// has returns ErrAlreadyExists; the name of a revoked key may be used
	// again (the revoked row is replaced).
	KeyCreate(ctx context.Context, p *KeyCreateParams) (*APIKey, error)
	// KeyGet returns the key (active or revoked) with that name, or
	// ErrNotFound.
	KeyGet(ctx context.Context, name string) (*APIKey, error)
	// KeyByHash returns the key (active or revoked) whose hash is hash, or
	// ErrNotFound.
	KeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// KeyList returns every key, active and revoked, sorted by name.
	KeyList(ctx context.Context) ([]*APIKey, error)
	// KeyRevoke marks the named key revoked at now and returns it; a key
	// already revoked keeps its first revocation time. ErrNotFound if no key
	// has the name.
	KeyRevoke(ctx context.Context, name string, now time.Time) (*APIKey, error)
	// KeyTouch sets the key's last-used time to at (if later than the
	// stored one). A name that does not exist is not an error.
	KeyTouch(ctx context.Context, name string, at time.Time) error
	// KeyActiveCount returns how many keys are not revoked.
	KeyActiveCount(ctx context.Context) (int, error)

	// AuditAppend records state-changing requests, all in one
	// transaction (the HTTP layer batches them). Their IDs are assigned by
	// the store, increasing.
	AuditAppend(ctx context.Context, entries ...*AuditEntry) error
	// AuditList returns audit entries newest first, paginated like
	// InstanceList (Limit 1..1000, 0 means 50; Cursor from the previous
	// page's NextCursor; a cursor that does not decode wraps
	// ErrInvalidArgument once that error exists).
	AuditList(ctx context.Context, p *AuditListParams) (*AuditPage, error)
}

// KeyCreateParams are the arguments of KeyStore.KeyCreate.
type KeyCreateParams struct {
	Name string
	// Scope is "read", "operate" or "admin" (package auth checks it).
	Scope string
	// Hash is the key's hash (auth.HashKey); the key itself is never stored.
	Hash string
	// Prefix is the key's first characters, kept to help a person tell keys
	// apart in a listing ("ordo_AbC1").
	Prefix    string
	CreatedBy string
	Now       time.Time
	// Audit, if set, is the audit-trail entry of the create; a backend
	// that is an ActionStore writes it in the create's transaction.
	Audit *Action
}

// APIKey is one stored API key (without the key itself).
type APIKey struct {
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Hash       string     `json:"-"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"createdBy,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// Active reports whether the key is not revoked.
func (k *APIKey) Active() bool { return k.RevokedAt == nil }

// AuditEntry is one state-changing request: who made it, what it was and
// how it ended.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Key is the name of the API key that made the request; "" when the
	// server runs without authentication.
	Key    string `json:"key,omitempty"`
	Method string `json:"method"`
	// Path is the request path ("/v1/orders/C-1/cancel").
	Path string `json:"path"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// RemoteAddr is the client's address as the server saw it.
	RemoteAddr string `json:"remoteAddr,omitempty"`
}

// AuditListParams page KeyStore.AuditList.
type AuditListParams struct {
	Key    string // "" for all
	Limit  int
	Cursor string
}

// AuditPage is one page of KeyStore.AuditList.
type AuditPage struct {
	Entries    []*AuditEntry `json:"entries"`
	NextCursor string        `json:"nextCursor,omitempty"`
}
