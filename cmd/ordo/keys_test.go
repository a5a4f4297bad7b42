package main

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

func TestKeysGenerate(t *testing.T) {
	t.Parallel()
	a, _, err := runCLI(t, "keys", "generate")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := runCLI(t, "keys", "generate")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if !strings.HasPrefix(a, auth.KeyPrefix) || len(a) < auth.MinBootstrapKeyLength || a == b {
		t.Errorf("keys generate printed %q then %q: want two different long keys", a, b)
	}
	if _, err := auth.New(auth.Config{BootstrapKey: a}); err != nil {
		t.Errorf("a generated key is refused as a bootstrap key: %v", err)
	}
}

// TestKeysOffline: create, list and revoke on a --data-dir database
// without a server, and the stored key authenticates.
func TestKeysOffline(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // created by the first command
	testKeysDirect(t, "--data-dir", dir, func(t *testing.T) store.KeyStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(dir, "ordo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestKeysOfflinePostgres(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	testKeysDirect(t, "--postgres", url, func(t *testing.T) store.KeyStore {
		st, err := postgres.Open(t.Context(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// testKeysDirect runs the key commands with flag value (the database) and
// checks the result in the store open returns.
func testKeysDirect(t *testing.T, flag, value string, open func(t *testing.T) store.KeyStore) {
	keys := func(args ...string) (string, string, error) {
		return runCLI(t, append(append([]string{"keys"}, args...), flag, value)...)
	}
	out, errOut, err := keys("create", "ci", "--scope", "operate")
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, errOut)
	}
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, auth.KeyPrefix) || strings.Contains(key, "\n") {
		t.Fatalf("keys create printed %q; want the key alone", out)
	}
	if !strings.Contains(errOut, "shown only now") {
		t.Errorf("keys create note = %q; want it to say the key is shown only now", errOut)
	}
	a, err := auth.New(auth.Config{Store: open(t)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(t.Context(), key); err != nil || p.Name != "ci" || p.Scope != auth.ScopeOperate {
		t.Fatalf("the created key authenticates as %+v, %v; want ci, operate", p, err)
	}

	out, _, err = keys("create", "deploy", "--scope", "admin", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Name, Scope, Key, Prefix string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Name != "deploy" || created.Scope != "admin" ||
		!strings.HasPrefix(created.Key, created.Prefix) || created.Prefix == "" {
		t.Errorf("keys create --json = %s (%v)", out, err)
	}
	if strings.Contains(out, `"hash"`) {
		t.Errorf("keys create --json shows the hash: %s", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "ci", "--scope", "read"}, "revoke it first"},
		{[]string{"create", "x", "--scope", "root"}, "--scope"},
		{[]string{"create", "x"}, "scope"},
		{[]string{"create", "bad name", "--scope", "read"}, "key name"},
		{[]string{"revoke", "nobody"}, "no key is named"},
	} {
		if _, _, err := keys(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("keys %v: err = %v; want one that mentions %q", tc.args, err, tc.want)
		}
	}

	out, _, err = keys("revoke", "ci")
	if err != nil || !strings.Contains(out, `Revoked API key "ci"`) {
		t.Fatalf("keys revoke = %q, %v", out, err)
	}
	a.Invalidate()
	if _, err := a.Authenticate(t.Context(), key); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the revoked key: %v, want ErrUnauthenticated", err)
	}

	out, _, err = keys("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "ci ") ||
		!strings.HasPrefix(lines[2], "deploy ") || strings.HasSuffix(lines[1], "-") || !strings.HasSuffix(lines[2], "-") {
		t.Errorf("keys list (ci revoked, deploy active):\n%s", out)
	}
	if strings.Contains(out, key) || strings.Contains(out, created.Key) {
		t.Errorf("keys list shows a key:\n%s", out)
	}
	out, _, err = keys("list", "--json")
	var listed struct {
		Keys []store.APIKey `json:"keys"`
	}
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Keys) != 2 || listed.Keys[0].RevokedAt == nil {
		t.Errorf("keys list --json = %s, %v", out, err)
	}
}

func TestKeysTwoDatabases(t *testing.T) {
	t.Parallel()
	_, _, err := runCLI(t, "keys", "list", "--data-dir", t.TempDir(), "--postgres", "postgres://127.0.0.1:1/x")
	if err == nil || !strings.Contains(err.Error(), "use one") {
		t.Errorf("keys list with --data-dir and --postgres: %v", err)
	}
}

// TestKeysServer: the first key is created on the database before the
// server starts; then the commands ask the server, with the key from
// --api-key or ORDO_API_KEY, and a key revoked there stops working at
// once.
func TestKeysServer(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runCLI(t, "keys", "create", "admin", "--scope", "admin", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(out)
	srv := startServe(t, "--data-dir", dir)

	if _, _, err := runCLI(t, "keys", "list", "--server", srv.URL); err == nil ||
		!strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "ORDO_API_KEY") {
		t.Errorf("keys list without a key: %v; want a 401 that names ORDO_API_KEY", err)
	}
	out, errOut, err := runCLI(t, "keys", "create", "reader", "--scope", "read", "--server", srv.URL, "--api-key", admin)
	if err != nil {
		t.Fatalf("keys create through the API: %v", err)
	}
	reader := strings.TrimSpace(out)
	if !strings.HasPrefix(reader, auth.KeyPrefix) || !strings.Contains(errOut, "shown only now") {
		t.Errorf("keys create through the API printed %q, %q", out, errOut)
	}

	t.Setenv("ORDO_API_KEY", admin) // after the server started: it is no bootstrap key
	out, _, err = runCLI(t, "keys", "list", "--server", srv.URL)
	if err != nil || !strings.Contains(out, "admin ") || !strings.Contains(out, "reader ") {
		t.Fatalf("keys list with ORDO_API_KEY = %q, %v", out, err)
	}
	// Other client commands send the key too; a read key may list, not
	// create keys.
	if _, _, err := runCLI(t, "instances", "list", "--server", srv.URL, "--api-key", reader); err != nil {
		t.Errorf("instances list with a read key: %v", err)
	}
	if _, _, err := runCLI(t, "keys", "create", "x", "--scope", "read", "--server", srv.URL, "--api-key", reader); err == nil ||
		!strings.Contains(err.Error(), "403") {
		t.Errorf("keys create with a read key: %v, want 403", err)
	}
	out, _, err = runCLI(t, "keys", "revoke", "reader", "--server", srv.URL, "--json")
	if err != nil || !strings.Contains(out, `"revokedAt"`) {
		t.Fatalf("keys revoke through the API = %s, %v", out, err)
	}
	if _, _, err := runCLI(t, "instances", "list", "--server", srv.URL, "--api-key", reader); err == nil ||
		!strings.Contains(err.Error(), "401") {
		t.Errorf("instances list with the revoked key: %v, want 401", err)
	}
}
