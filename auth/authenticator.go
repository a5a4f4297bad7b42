package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Errors of Authenticate and Session. Both mean 401 to an HTTP client.
var (
	// ErrUnauthenticated: no key, or a key that is unknown or revoked.
	ErrUnauthenticated = errors.New("auth: missing, unknown or revoked API key")
	// ErrNoKeyStore: the backend keeps no keys (only the bootstrap key
	// works).
	ErrNoKeyStore = errors.New("auth: the storage backend keeps no API keys")
)

// Principal is who made a request: a key's name and scope.
type Principal struct {
	Name  string `json:"name"`
	Scope Scope  `json:"scope"`
}

// Config configures an Authenticator.
type Config struct {
	// Store keeps the keys. nil: only BootstrapKey authenticates.
	Store store.KeyStore
	// BootstrapKey is an admin key from the environment (ORDO_API_KEY or
	// --api-key-file), never stored. At least MinBootstrapKeyLength
	// characters. "" for none.
	BootstrapKey string
	// BootstrapName is the name requests made with BootstrapKey are
	// recorded under. Default "bootstrap".
	BootstrapName string
	// CacheTTL is how long a key that authenticated is trusted without
	// asking the store again, and how long the store's answer to "is any
	// key active" is kept: a key revoked in another process stops working
	// within CacheTTL. Default 5 s.
	CacheTTL time.Duration
	// TouchInterval is how often a key's last-used time is written while it
	// is in use. Default 1 minute.
	TouchInterval time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives store errors of last-used updates. Default
	// slog.Default().
	Logger *slog.Logger
}

// Authenticator checks API keys and dashboard sessions. It is safe for
// concurrent use.
type Authenticator struct {
	cfg           Config
	bootstrapHash string

	mu       sync.Mutex
	byHash   map[string]cached // key hash -> principal
	byName   map[string]cached // key name -> hash, for sessions
	required *cachedBool
	// gen counts Invalidate calls: an answer read from the store before
	// an Invalidate is not cached after it.
	gen uint64
}

type cached struct {
	p       Principal
	hash    string
	expires time.Time
	touched time.Time
}

type cachedBool struct {
	v       bool
	expires time.Time
}

// maxCached bounds the cache; it is emptied when full.
const maxCached = 10000

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.BootstrapKey != "" && len(cfg.BootstrapKey) < MinBootstrapKeyLength {
		return nil, fmt.Errorf("%w: the bootstrap API key is %d characters long; use at least %d random characters (ordo keys generate prints one)",
			ordo.ErrInvalidArgument, len(cfg.BootstrapKey), MinBootstrapKeyLength)
	}
	if cfg.BootstrapName == "" {
		cfg.BootstrapName = "bootstrap"
	}
	if err := ordo.ValidateID("auth.Config.BootstrapName", cfg.BootstrapName); err != nil {
		return nil, err
	}
	if cfg.CacheTTL < 0 || cfg.TouchInterval < 0 {
		return nil, fmt.Errorf("%w: auth.Config.CacheTTL (%v) and TouchInterval (%v) must not be negative",
			ordo.ErrInvalidArgument, cfg.CacheTTL, cfg.TouchInterval)
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if cfg.TouchInterval == 0 {
		cfg.TouchInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &Authenticator{cfg: cfg, byHash: map[string]cached{}, byName: map[string]cached{}}
	if cfg.BootstrapKey != "" {
		a.bootstrapHash = HashKey(cfg.BootstrapKey)
	}
	return a, nil
}

// Required reports whether requests must carry a key: a bootstrap key is
// set or the store holds at least one active key. Without either the
// server runs open (only allowed on loopback, see cmd/ordo).
func (a *Authenticator) Required(ctx context.Context) (bool, error) {
	if a.bootstrapHash != "" {
		return true, nil
	}
	if a.cfg.Store == nil {
		return false, nil
	}
	now := a.cfg.Now()
	a.mu.Lock()
	r, gen := a.required, a.gen
	a.mu.Unlock()
	if r != nil && now.Before(r.expires) {
		return r.v, nil
	}
	n, err := a.cfg.Store.KeyActiveCount(ctx)
	if err != nil {
		return true, fmt.Errorf("auth: count keys: %w", err)
	}
	a.mu.Lock()
	if a.gen == gen {
		a.required = &cachedBool{v: n > 0, expires: now.Add(a.cfg.CacheTTL)}
	}
	a.mu.Unlock()
	return n > 0, nil
}

// Authenticate returns the principal of key, or ErrUnauthenticated.
func (a *Authenticator) Authenticate(ctx context.Context, key string) (*Principal, error) {
	if key == "" || len(key) > maxKeyLength {
		return nil, ErrUnauthenticated
	}
	hash := HashKey(key)
	if a.bootstrapHash != "" && subtle.ConstantTimeCompare([]byte(hash), []byte(a.bootstrapHash)) == 1 {
		return &Principal{Name: a.cfg.BootstrapName, Scope: ScopeAdmin}, nil
	}
	now := a.cfg.Now()
	a.mu.Lock()
	c, ok := a.byHash[hash]
	gen := a.gen
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		p := c.p
		return &p, nil
	}
	if a.cfg.Store == nil {
		return nil, ErrUnauthenticated
	}
	k, err := a.cfg.Store.KeyByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: look up key: %w", err)
	}
	if !k.Active() {
		return nil, ErrUnauthenticated
	}
	p := a.remember(k, gen, now)
	return &p, nil
}

// remember caches an active key read from the store (unless Invalidate
// ran since gen was read) and writes its last-used time when the last
// write is older than TouchInterval. The decision to write is taken under
// the lock, so concurrent requests write it once.
func (a *Authenticator) remember(k *store.APIKey, gen uint64, now time.Time) Principal {
	p := Principal{Name: k.Name, Scope: Scope(k.Scope)}
	a.mu.Lock()
	var touched time.Time
	if k.LastUsedAt != nil {
		touched = *k.LastUsedAt
	}
	if prev, ok := a.byName[k.Name]; ok && prev.hash == k.Hash && prev.touched.After(touched) {
		touched = prev.touched
	}
	touch := now.Sub(touched) >= a.cfg.TouchInterval
	if touch {
		touched = now
	}
	if a.gen == gen {
		if len(a.byHash) >= maxCached {
			a.byHash = map[string]cached{}
			a.byName = map[string]cached{}
		}
		c := cached{p: p, hash: k.Hash, expires: now.Add(a.cfg.CacheTTL), touched: touched}
		a.byHash[k.Hash] = c
		a.byName[k.Name] = c
	}
	a.mu.Unlock()
	if touch {
		// A short, separate context: a request cancelled meanwhile must not
		// fail the write, and a slow store holds a request for 2 s at most.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := a.cfg.Store.KeyTouch(ctx, k.Name, now); err != nil {
			a.cfg.Logger.Warn("auth: record key use", "key", k.Name, "err", err)
		}
		cancel()
	}
	return p
}

// Invalidate forgets every cached answer, so a key created or revoked in
// this process takes effect at once.
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	a.byHash = map[string]cached{}
	a.byName = map[string]cached{}
	a.required = nil
	a.gen++
	a.mu.Unlock()
}

// lookupName returns the active key named name with its hash, for
// sessions.
func (a *Authenticator) lookupName(ctx context.Context, name string) (Principal, string, error) {
	if a.bootstrapHash != "" && name == a.cfg.BootstrapName {
		return Principal{Name: name, Scope: ScopeAdmin}, a.bootstrapHash, nil
	}
	if ordo.ValidateID("key name", name) != nil {
		return Principal{}, "", ErrUnauthenticated
	}
	now := a.cfg.Now()
	a.mu.Lock()
	c, ok := a.byName[name]
	gen := a.gen
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p, c.hash, nil
	}
	if a.cfg.Store == nil {
		return Principal{}, "", ErrUnauthenticated
	}
	k, err := a.cfg.Store.KeyGet(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, "", ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, "", fmt.Errorf("auth: look up key: %w", err)
	}
	if !k.Active() {
		return Principal{}, "", ErrUnauthenticated
	}
	return a.remember(k, gen, now), k.Hash, nil
}
