package auth_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	keys := map[auth.Scope]string{}
	for _, sc := range auth.Scopes {
		keys[sc] = b.createKey(t, "k-"+string(sc), sc)
	}
	for sc, key := range keys {
		p, err := b.a.Authenticate(ctx, key)
		if err != nil || p.Name != "k-"+string(sc) || p.Scope != sc {
			t.Errorf("Authenticate(%s key) = %+v, %v", sc, p, err)
		}
	}
	other, _ := auth.GenerateKey()
	for _, key := range []string{"", other, keys[auth.ScopeRead] + "x", strings.Repeat("k", 100000),
		auth.HashKey(keys[auth.ScopeAdmin])} {
		if p, err := b.a.Authenticate(ctx, key); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(%.20q...) = %+v, %v; want ErrUnauthenticated", key, p, err)
		}
	}
}

// TestRevoke: a revoked key stops working at once in the Authenticator
// that revoked it, and in another one (another process) once its cache
// expires.
func TestRevoke(t *testing.T) {
	t.Parallel()
	b := setup(t, &auth.Config{CacheTTL: 5 * time.Second})
	other := b.another(t, &auth.Config{CacheTTL: 5 * time.Second})
	ctx := t.Context()
	key := b.createKey(t, "ci", auth.ScopeOperate)
	for _, a := range []*auth.Authenticator{b.a, other} {
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	k, err := b.a.RevokeKey(ctx, "ci")
	if err != nil || k.Active() || !k.RevokedAt.Equal(t0) {
		t.Fatalf("RevokeKey = %+v, %v", k, err)
	}
	if _, err := b.a.Authenticate(ctx, key); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("right after RevokeKey: %v, want ErrUnauthenticated", err)
	}
	if p, err := other.Authenticate(ctx, key); err != nil || p.Name != "ci" {
		t.Errorf("another Authenticator within its cache time = %+v, %v; want still cached", p, err)
	}
	b.clock.Advance(5*time.Second - time.Microsecond)
	if _, err := other.Authenticate(ctx, key); err != nil {
		t.Errorf("another Authenticator just before CacheTTL: %v", err)
	}
	b.clock.Advance(time.Microsecond)
	if _, err := other.Authenticate(ctx, key); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("another Authenticator after CacheTTL: %v, want ErrUnauthenticated", err)
	}
	// Revoked twice: the first time stays.
	b.clock.Advance(time.Hour)
	if k, err := b.a.RevokeKey(ctx, "ci"); err != nil || !k.RevokedAt.Equal(t0) {
		t.Errorf("second RevokeKey = %+v, %v; want revoked at %v", k, err, t0)
	}
	if _, err := b.a.RevokeKey(ctx, "missing"); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("RevokeKey of a missing key: %v, want ordo.ErrNotFound", err)
	}
	if _, err := b.a.RevokeKey(ctx, "bad name!"); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("RevokeKey of a bad name: %v, want ordo.ErrInvalidArgument", err)
	}
}

// TestRevokeDuringLookup: a key read from the store just before it is
// revoked (and the cache invalidated) is not cached afterwards.
func TestRevokeDuringLookup(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	key := b.createKey(t, "ci", auth.ScopeRead)
	b.st.onByHash(func() {
		if _, err := b.a.RevokeKey(ctx, "ci"); err != nil {
			t.Error(err)
		}
	})
	if _, err := b.a.Authenticate(ctx, key); err != nil {
		t.Fatalf("the request that read the key before the revocation: %v", err)
	}
	if _, err := b.a.Authenticate(ctx, key); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after the revocation: %v, want ErrUnauthenticated", err)
	}
}

// TestReuseRevokedName: a new key under a revoked key's name works, the
// old key does not.
func TestReuseRevokedName(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	old := b.createKey(t, "ci", auth.ScopeAdmin)
	if _, _, err := b.a.CreateKey(ctx, "ci", auth.ScopeRead, ""); !errors.Is(err, ordo.ErrAlreadyExists) {
		t.Errorf("CreateKey of an active name: %v, want ordo.ErrAlreadyExists", err)
	}
	if _, err := b.a.RevokeKey(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	key := b.createKey(t, "ci", auth.ScopeRead)
	if p, err := b.a.Authenticate(ctx, key); err != nil || p.Scope != auth.ScopeRead {
		t.Errorf("new key = %+v, %v", p, err)
	}
	if _, err := b.a.Authenticate(ctx, old); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("old key: %v, want ErrUnauthenticated", err)
	}
}

func TestCreateKeyInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, tc := range []struct {
		name  string
		scope auth.Scope
	}{
		{"", auth.ScopeRead},
		{"with space", auth.ScopeRead},
		{strings.Repeat("n", ordo.MaxIDLength+1), auth.ScopeRead},
		{"ok", "root"},
		{"ok", ""},
		{"bootstrap", auth.ScopeRead}, // reserved
	} {
		if _, _, err := b.a.CreateKey(t.Context(), tc.name, tc.scope, ""); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("CreateKey(%.20q, %q): %v, want ordo.ErrInvalidArgument", tc.name, tc.scope, err)
		}
	}
	if ks, err := b.a.ListKeys(t.Context()); err != nil || len(ks) != 0 {
		t.Errorf("ListKeys = %v, %v; want none", ks, err)
	}
}

func TestListKeys(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	key := b.createKey(t, "zeta", auth.ScopeRead)
	b.createKey(t, "alpha", auth.ScopeAdmin)
	ks, err := b.a.ListKeys(t.Context())
	if err != nil || len(ks) != 2 || ks[0].Name != "alpha" || ks[1].Name != "zeta" {
		t.Fatalf("ListKeys = %v, %v", ks, err)
	}
	z := ks[1]
	if z.Scope != "read" || z.Hash != auth.HashKey(key) || z.Prefix != auth.DisplayPrefix(key) ||
		z.CreatedBy != "test" || !z.CreatedAt.Equal(t0) || z.LastUsedAt != nil || z.RevokedAt != nil {
		t.Errorf("stored key = %+v", z)
	}
	if strings.Contains(z.Prefix+z.Hash, key[len(auth.KeyPrefix)+4:]) {
		t.Error("the listing shows the key")
	}
}

// TestRequired: authentication is required once a key exists (at once
// here, within CacheTTL elsewhere) or a bootstrap key is set.
func TestRequired(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	other := b.another(t, nil)
	ctx := t.Context()
	required := func(a *auth.Authenticator, want bool) {
		t.Helper()
		if got, err := a.Required(ctx); err != nil || got != want {
			t.Errorf("Required = %v, %v; want %v", got, err, want)
		}
	}
	required(b.a, false)
	required(other, false)
	b.createKey(t, "ci", auth.ScopeRead)
	required(b.a, true)
	required(other, false) // cached
	b.clock.Advance(5 * time.Second)
	required(other, true)
	if _, err := b.a.RevokeKey(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	required(b.a, false)

	boot := b.another(t, &auth.Config{BootstrapKey: bootstrapKey})
	required(boot, true)
	open, err := auth.New(auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	required(open, false)
}

func TestBootstrapKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, short := range []string{"x", bootstrapKey[:auth.MinBootstrapKeyLength-1]} {
		if _, err := auth.New(auth.Config{BootstrapKey: short}); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("New with a %d-character bootstrap key: %v, want ordo.ErrInvalidArgument", len(short), err)
		}
	}
	b := setup(t, &auth.Config{BootstrapKey: bootstrapKey})
	p, err := b.a.Authenticate(ctx, bootstrapKey)
	if err != nil || p.Name != "bootstrap" || p.Scope != auth.ScopeAdmin {
		t.Errorf("Authenticate(bootstrap) = %+v, %v; want bootstrap, admin", p, err)
	}
	if _, err := b.a.Authenticate(ctx, bootstrapKey[1:]+"x"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a wrong key: %v", err)
	}
	if ks, err := b.a.ListKeys(ctx); err != nil || len(ks) != 0 {
		t.Errorf("the bootstrap key is stored: %v, %v", ks, err)
	}
	if n, err := b.st.KeyActiveCount(ctx); err != nil || n != 0 {
		t.Errorf("KeyActiveCount = %d, %v; want 0", n, err)
	}
	if b.st.touches.Load() != 0 {
		t.Error("the bootstrap key's use was written to the store")
	}
	if _, _, err := b.a.CreateKey(ctx, "bootstrap", auth.ScopeRead, ""); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("CreateKey named as the bootstrap key: %v", err)
	}
	// A bootstrap key works without a store, which then keeps no keys.
	alone, err := auth.New(auth.Config{BootstrapKey: bootstrapKey, BootstrapName: "env"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := alone.Authenticate(ctx, bootstrapKey); err != nil || p.Name != "env" {
		t.Errorf("Authenticate without a store = %+v, %v", p, err)
	}
	if _, _, err := alone.CreateKey(ctx, "ci", auth.ScopeRead, ""); !errors.Is(err, auth.ErrNoKeyStore) {
		t.Errorf("CreateKey without a store: %v, want ErrNoKeyStore", err)
	}
	if _, err := auth.New(auth.Config{BootstrapName: "no spaces"}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("New with a bad BootstrapName: %v", err)
	}
}

// TestTouch: a key's last-used time is written at most once per
// TouchInterval, however often it is used and by how many requests at
// once.
func TestTouch(t *testing.T) {
	t.Parallel()
	b := setup(t, &auth.Config{CacheTTL: 5 * time.Second, TouchInterval: time.Minute})
	ctx := t.Context()
	key := b.createKey(t, "ci", auth.ScopeRead)
	use := func() {
		t.Helper()
		if _, err := b.a.Authenticate(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	use()
	if got := b.lastUsed(t, "ci"); got == nil || !got.Equal(t0) {
		t.Fatalf("last used after the first use = %v, want %v", got, t0)
	}
	// Every 5 s (each past the cache) for 55 s: no write.
	for range 11 {
		b.clock.Advance(5 * time.Second)
		use()
	}
	if n := b.st.touches.Load(); n != 1 {
		t.Errorf("%d writes within a minute, want 1", n)
	}
	if got := b.lastUsed(t, "ci"); !got.Equal(t0) {
		t.Errorf("last used = %v, want %v", got, t0)
	}
	b.clock.Advance(5 * time.Second) // t0 + 60 s
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := b.a.Authenticate(ctx, key); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := b.st.touches.Load(); n != 2 {
		t.Errorf("%d writes after a minute and 16 concurrent uses, want 2", n)
	}
	if got, want := b.lastUsed(t, "ci"), t0.Add(time.Minute); !got.Equal(want) {
		t.Errorf("last used = %v, want %v", got, want)
	}
	// Another process reads the stored time: no write before a minute
	// after it.
	other := b.another(t, &auth.Config{TouchInterval: time.Minute})
	b.clock.Advance(30 * time.Second)
	if _, err := other.Authenticate(ctx, key); err != nil {
		t.Fatal(err)
	}
	if n := b.st.touches.Load(); n != 2 {
		t.Errorf("another Authenticator wrote the last-used time %d times too early", n-2)
	}
}

func TestConfigInvalid(t *testing.T) {
	t.Parallel()
	for _, c := range []auth.Config{{CacheTTL: -1}, {TouchInterval: -time.Second}} {
		if _, err := auth.New(c); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("New(%+v): %v, want ordo.ErrInvalidArgument", c, err)
		}
	}
}
