package auth_test

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	key := b.createKey(t, "ops", auth.ScopeOperate)
	p, err := b.a.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	value, exp, err := b.a.NewSession(ctx, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("expires %v, want %v", exp, t0.Add(time.Hour))
	}
	if strings.Contains(value, key) || strings.Contains(value, auth.HashKey(key)) {
		t.Error("the session value shows the key or its hash")
	}
	got, err := b.a.Session(ctx, value)
	if err != nil || *got != *p {
		t.Errorf("Session = %+v, %v; want %+v", got, err, p)
	}
	// Another process sharing the database accepts it.
	if got, err := b.another(t, nil).Session(ctx, value); err != nil || *got != *p {
		t.Errorf("Session in another Authenticator = %+v, %v", got, err)
	}
	b.clock.Advance(time.Hour - time.Second)
	if _, err := b.a.Session(ctx, value); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	b.clock.Advance(time.Second)
	if _, err := b.a.Session(ctx, value); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("at expiry: %v, want ErrUnauthenticated", err)
	}
	if _, _, err := b.a.NewSession(ctx, p, 0); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("NewSession with no lifetime: %v", err)
	}
	if _, _, err := b.a.NewSession(ctx, &auth.Principal{Name: "nobody", Scope: auth.ScopeAdmin}, time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("NewSession for an unknown key: %v", err)
	}
}

// TestSessionForged: a session whose name, expiry or MAC was changed, or
// that is not a session at all, is refused.
func TestSessionForged(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createKey(t, "reader", auth.ScopeRead)
	b.createKey(t, "admin", auth.ScopeAdmin)
	value, _, err := b.a.NewSession(ctx, &auth.Principal{Name: "reader"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		t.Fatalf("session %q: want 3 parts", value)
	}
	name := func(n string) string { return base64.RawURLEncoding.EncodeToString([]byte(n)) }
	flip := func(s string) string {
		c := byte('A')
		if s[len(s)-1] == 'A' {
			c = 'B'
		}
		return s[:len(s)-1] + string(c)
	}
	later := strconv.FormatInt(t0.Add(1000*time.Hour).Unix(), 10)
	for _, tc := range []struct{ name, value string }{
		{"empty", ""},
		{"garbage", "not a session"},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", value + ".x"},
		{"other name", name("admin") + "." + parts[1] + "." + parts[2]},
		{"unknown name", name("ghost") + "." + parts[1] + "." + parts[2]},
		{"bad name", name("a b") + "." + parts[1] + "." + parts[2]},
		{"name not base64", "!!." + parts[1] + "." + parts[2]},
		{"later expiry", parts[0] + "." + later + "." + parts[2]},
		{"expiry not a number", parts[0] + ".soon." + parts[2]},
		{"changed MAC", parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{"no MAC", parts[0] + "." + parts[1] + "."},
		{"too long", value + strings.Repeat("A", 2000)},
	} {
		if p, err := b.a.Session(ctx, tc.value); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("%s: Session = %+v, %v; want ErrUnauthenticated", tc.name, p, err)
		}
	}
}

// TestSessionRevoked: revoking a key ends its sessions, also when a new
// key takes its name.
func TestSessionRevoked(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	other := b.another(t, nil)
	ctx := t.Context()
	b.createKey(t, "ops", auth.ScopeOperate)
	value, _, err := b.a.NewSession(ctx, &auth.Principal{Name: "ops"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Session(ctx, value); err != nil {
		t.Fatal(err)
	}
	if _, err := b.a.RevokeKey(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.a.Session(ctx, value); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after RevokeKey: %v, want ErrUnauthenticated", err)
	}
	b.clock.Advance(5 * time.Second)
	if _, err := other.Session(ctx, value); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("in another Authenticator after CacheTTL: %v, want ErrUnauthenticated", err)
	}
	b.createKey(t, "ops", auth.ScopeAdmin)
	if p, err := b.a.Session(ctx, value); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a new key under the revoked name accepts the old session: %+v, %v", p, err)
	}
}

func TestSessionBootstrap(t *testing.T) {
	t.Parallel()
	b := setup(t, &auth.Config{BootstrapKey: bootstrapKey})
	ctx := t.Context()
	p, err := b.a.Authenticate(ctx, bootstrapKey)
	if err != nil {
		t.Fatal(err)
	}
	value, _, err := b.a.NewSession(ctx, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.a.Session(ctx, value); err != nil || got.Name != "bootstrap" || got.Scope != auth.ScopeAdmin {
		t.Errorf("Session = %+v, %v; want bootstrap, admin", got, err)
	}
	// A process with the same bootstrap key accepts it; one with another
	// key, or none, does not.
	if _, err := b.another(t, &auth.Config{BootstrapKey: bootstrapKey}).Session(ctx, value); err != nil {
		t.Errorf("same bootstrap key: %v", err)
	}
	for _, cfg := range []*auth.Config{{BootstrapKey: strings.ToUpper(bootstrapKey)}, nil} {
		if _, err := b.another(t, cfg).Session(ctx, value); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("bootstrap key %v: %v, want ErrUnauthenticated", cfg, err)
		}
	}
}

func TestPrincipalContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.FromContext(t.Context()); ok {
		t.Error("FromContext of a bare context found a principal")
	}
	p := &auth.Principal{Name: "ci", Scope: auth.ScopeRead}
	got, ok := auth.FromContext(auth.WithPrincipal(t.Context(), p))
	if !ok || got != p {
		t.Errorf("FromContext = %+v, %v", got, ok)
	}
	if _, ok := auth.FromContext(auth.WithPrincipal(t.Context(), nil)); ok {
		t.Error("a nil principal was found")
	}
}
