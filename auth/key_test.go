package auth_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/ordohq/ordo/auth"
)

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		key, err := auth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rest, ok := strings.CutPrefix(key, auth.KeyPrefix)
		if !ok {
			t.Fatalf("key %q does not start with %q", key, auth.KeyPrefix)
		}
		raw, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil || len(raw) != 32 {
			t.Fatalf("key %q: %d random bytes, %v; want 32 in base64url", key, len(raw), err)
		}
		if len(rest) < auth.MinBootstrapKeyLength {
			t.Errorf("a generated key (%d characters) is shorter than a bootstrap key must be", len(rest))
		}
		if seen[key] {
			t.Fatalf("key %q generated twice", key)
		}
		seen[key] = true
	}
}

func TestHashKey(t *testing.T) {
	t.Parallel()
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, tc := range []struct{ key, want string }{
		// SHA-256 test vectors.
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	} {
		if got := auth.HashKey(tc.key); got != tc.want {
			t.Errorf("HashKey(%q) = %s, want %s", tc.key, got, tc.want)
		}
	}
	key, _ := auth.GenerateKey()
	h := auth.HashKey(key)
	if !hex64.MatchString(h) || h != auth.HashKey(key) || strings.Contains(h, key) {
		t.Errorf("HashKey(%q) = %q: want 64 hex digits, the same every time", key, h)
	}
	if auth.HashKey(key+"x") == h {
		t.Error("two keys hash alike")
	}
}

func TestDisplayPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, want string }{
		{"ordo_AbC1defghijk", "ordo_AbC1"},
		{"ordo_Ab", ""},
		{"plainsecretvalue", "plai"},
		{"abc", ""},
	} {
		if got := auth.DisplayPrefix(tc.key); got != tc.want {
			t.Errorf("DisplayPrefix(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
