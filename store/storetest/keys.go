package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// RunKeys runs the conformance tests of the optional store.KeyStore
// capability. open is called as in Run; the store it returns must
// implement store.KeyStore.
func RunKeys(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.KeyStore]{
		{"Create", testKeyCreate},
		{"CreateInvalid", testKeyCreateInvalid},
		{"CreateDuplicate", testKeyCreateDuplicate},
		{"CreateConcurrent", testKeyCreateConcurrent},
		{"ReuseRevokedName", testKeyReuseRevokedName},
		{"NotFound", testKeyNotFound},
		{"List", testKeyList},
		{"Revoke", testKeyRevoke},
		{"Touch", testKeyTouch},
		{"ActiveCount", testKeyActiveCount},
		{"AuditPages", testAuditPages},
		{"AuditKeyFilter", testAuditKeyFilter},
		{"AuditInvalid", testAuditInvalid},
		{"AuditBadCursor", testAuditBadCursor},
	})
}

// keyT0 is the base of the times the key tests pass.
var keyT0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func keyParams(name, scope string) *store.KeyCreateParams {
	return &store.KeyCreateParams{Name: name, Scope: scope, Hash: "hash-" + name, Prefix: "ordo_" + name[:1],
		CreatedBy: "admin", Now: keyT0}
}

func keyCreate(t *testing.T, ks store.KeyStore, p *store.KeyCreateParams) *store.APIKey {
	t.Helper()
	k, err := ks.KeyCreate(t.Context(), p)
	if err != nil {
		t.Fatalf("KeyCreate %q: %v", p.Name, err)
	}
	return k
}

func keyGet(t *testing.T, ks store.KeyStore, name string) *store.APIKey {
	t.Helper()
	k, err := ks.KeyGet(t.Context(), name)
	if err != nil {
		t.Fatalf("KeyGet %q: %v", name, err)
	}
	return k
}

func testKeyCreate(t *testing.T, ks store.KeyStore) {
	got := keyCreate(t, ks, keyParams("ci", "operate"))
	want := &store.APIKey{Name: "ci", Scope: "operate", Hash: "hash-ci", Prefix: "ordo_c", CreatedBy: "admin", CreatedAt: keyT0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KeyCreate (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, keyGet(t, ks, "ci")); diff != "" {
		t.Errorf("KeyGet (-want +got):\n%s", diff)
	}
	byHash, err := ks.KeyByHash(t.Context(), "hash-ci")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byHash); diff != "" {
		t.Errorf("KeyByHash (-want +got):\n%s", diff)
	}
}

func testKeyCreateInvalid(t *testing.T, ks store.KeyStore) {
	for _, tc := range []struct {
		name string
		p    *store.KeyCreateParams
	}{
		{"nil", nil},
		{"empty name", &store.KeyCreateParams{Scope: "read", Hash: "h"}},
		{"long name", &store.KeyCreateParams{Name: strings.Repeat("n", store.MaxKeyNameLength+1), Scope: "read", Hash: "h"}},
		{"unknown scope", &store.KeyCreateParams{Name: "a", Scope: "root", Hash: "h"}},
		{"empty scope", &store.KeyCreateParams{Name: "a", Hash: "h"}},
		{"no hash", &store.KeyCreateParams{Name: "a", Scope: "read"}},
		{"long prefix", &store.KeyCreateParams{Name: "a", Scope: "read", Hash: "h", Prefix: strings.Repeat("p", 1000)}},
	} {
		if _, err := ks.KeyCreate(t.Context(), tc.p); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("%s: KeyCreate err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if n, err := ks.KeyActiveCount(t.Context()); err != nil || n != 0 {
		t.Errorf("after refused creates, KeyActiveCount = %d, %v; want 0", n, err)
	}
}

func testKeyCreateDuplicate(t *testing.T, ks store.KeyStore) {
	keyCreate(t, ks, keyParams("ci", "read"))
	again := keyParams("ci", "admin")
	again.Hash = "other"
	if _, err := ks.KeyCreate(t.Context(), again); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("create of an active key's name: err = %v, want ErrAlreadyExists", err)
	}
	sameHash := keyParams("deploy", "read")
	sameHash.Hash = "hash-ci"
	if _, err := ks.KeyCreate(t.Context(), sameHash); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("create with another key's hash: err = %v, want ErrAlreadyExists", err)
	}
	if k := keyGet(t, ks, "ci"); k.Scope != "read" || k.Hash != "hash-ci" {
		t.Errorf("the refused creates changed the key: %+v", k)
	}
}

// testKeyCreateConcurrent: of concurrent creates of one name, exactly one
// succeeds.
func testKeyCreateConcurrent(t *testing.T, ks store.KeyStore) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := keyParams("ci", "read")
			p.Hash = fmt.Sprintf("h%d", i)
			_, errs[i] = ks.KeyCreate(t.Context(), p)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("concurrent KeyCreate: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent creates of one name succeeded, want 1", ok)
	}
}

func testKeyReuseRevokedName(t *testing.T, ks store.KeyStore) {
	keyCreate(t, ks, keyParams("ci", "read"))
	if err := ks.KeyTouch(t.Context(), "ci", keyT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.KeyRevoke(t.Context(), "ci", keyT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p := keyParams("ci", "admin")
	p.Hash, p.Prefix, p.CreatedBy, p.Now = "new-hash", "ordo_N", "", keyT0.Add(2*time.Hour)
	got := keyCreate(t, ks, p)
	want := &store.APIKey{Name: "ci", Scope: "admin", Hash: "new-hash", Prefix: "ordo_N", CreatedAt: keyT0.Add(2 * time.Hour)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create over a revoked key (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, keyGet(t, ks, "ci")); diff != "" {
		t.Errorf("KeyGet after reuse (-want +got):\n%s", diff)
	}
	if _, err := ks.KeyByHash(t.Context(), "hash-ci"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the replaced key's hash: err = %v, want ErrNotFound", err)
	}
	// The replaced key's hash may be given to another key.
	reuse := keyParams("ci2", "read")
	reuse.Hash = "hash-ci"
	keyCreate(t, ks, reuse)
}

func testKeyNotFound(t *testing.T, ks store.KeyStore) {
	keyCreate(t, ks, keyParams("ci", "read"))
	if _, err := ks.KeyGet(t.Context(), "cd"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyGet of a missing name: err = %v, want ErrNotFound", err)
	}
	if _, err := ks.KeyByHash(t.Context(), "hash-cd"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyByHash of a missing hash: err = %v, want ErrNotFound", err)
	}
	if _, err := ks.KeyRevoke(t.Context(), "cd", keyT0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyRevoke of a missing name: err = %v, want ErrNotFound", err)
	}
	if err := ks.KeyTouch(t.Context(), "cd", keyT0); err != nil {
		t.Errorf("KeyTouch of a missing name: %v, want nil", err)
	}
}

func testKeyList(t *testing.T, ks store.KeyStore) {
	empty, err := ks.KeyList(t.Context())
	if err != nil || len(empty) != 0 {
		t.Fatalf("KeyList on an empty store = %v, %v; want nothing", empty, err)
	}
	for _, n := range []string{"zeta", "Alpha", "mid", "alpha"} {
		keyCreate(t, ks, keyParams(n, "read"))
	}
	if _, err := ks.KeyRevoke(t.Context(), "mid", keyT0); err != nil {
		t.Fatal(err)
	}
	got, err := ks.KeyList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, k := range got {
		summary = append(summary, fmt.Sprintf("%s active=%v", k.Name, k.Active()))
	}
	want := []string{"Alpha active=true", "alpha active=true", "mid active=false", "zeta active=true"}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("KeyList (-want +got), bytewise by name, revoked keys included:\n%s", diff)
	}
}

func testKeyRevoke(t *testing.T, ks store.KeyStore) {
	keyCreate(t, ks, keyParams("ci", "read"))
	first := keyT0.Add(time.Hour)
	k, err := ks.KeyRevoke(t.Context(), "ci", first)
	if err != nil {
		t.Fatal(err)
	}
	if k.Active() || !k.RevokedAt.Equal(first) || k.Name != "ci" || k.Scope != "read" {
		t.Errorf("KeyRevoke returned %+v, want ci revoked at %v", k, first)
	}
	again, err := ks.KeyRevoke(t.Context(), "ci", first.Add(time.Hour))
	if err != nil {
		t.Fatalf("second KeyRevoke: %v", err)
	}
	if again.RevokedAt == nil || !again.RevokedAt.Equal(first) {
		t.Errorf("second KeyRevoke: revoked at %v, want the first time %v", again.RevokedAt, first)
	}
	byHash, err := ks.KeyByHash(t.Context(), "hash-ci")
	if err != nil || byHash.Active() {
		t.Errorf("KeyByHash of a revoked key = %+v, %v; want it, revoked", byHash, err)
	}
	if _, err := ks.KeyRevoke(t.Context(), "", first); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("KeyRevoke of an empty name: err = %v, want ErrInvalidArgument", err)
	}
}

func testKeyTouch(t *testing.T, ks store.KeyStore) {
	keyCreate(t, ks, keyParams("ci", "read"))
	for _, tc := range []struct {
		at   time.Duration
		want time.Duration
	}{
		{time.Minute, time.Minute},
		{3 * time.Minute, 3 * time.Minute},
		{2 * time.Minute, 3 * time.Minute}, // earlier: kept
		{3 * time.Minute, 3 * time.Minute},
		{time.Hour, time.Hour},
	} {
		if err := ks.KeyTouch(t.Context(), "ci", keyT0.Add(tc.at)); err != nil {
			t.Fatal(err)
		}
		k := keyGet(t, ks, "ci")
		if k.LastUsedAt == nil || !k.LastUsedAt.Equal(keyT0.Add(tc.want)) {
			t.Errorf("after KeyTouch at +%v, last used %v, want +%v", tc.at, k.LastUsedAt, tc.want)
		}
	}
}

func testKeyActiveCount(t *testing.T, ks store.KeyStore) {
	count := func(want int) {
		t.Helper()
		if n, err := ks.KeyActiveCount(t.Context()); err != nil || n != want {
			t.Errorf("KeyActiveCount = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	keyCreate(t, ks, keyParams("a", "read"))
	keyCreate(t, ks, keyParams("b", "admin"))
	count(2)
	if _, err := ks.KeyRevoke(t.Context(), "a", keyT0); err != nil {
		t.Fatal(err)
	}
	count(1)
	keyCreate(t, ks, keyParams("a", "read")) // the revoked name again
	count(2)
}

// auditEntry is the i-th entry of the audit tests, made by key.
func auditEntry(i int, key string) *store.AuditEntry {
	return &store.AuditEntry{At: keyT0.Add(time.Duration(i) * time.Second), Key: key, Method: "POST",
		Path: fmt.Sprintf("/v1/orders/o-%d/cancel", i), Status: 200 + i%2, RemoteAddr: "127.0.0.1:5000"}
}

// auditAll reads every page of a listing with limit, newest first, and
// returns the entries' paths.
func auditAll(t *testing.T, ks store.KeyStore, key string, limit int) (paths []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		page, err := ks.AuditList(t.Context(), &store.AuditListParams{Key: key, Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("AuditList key %q cursor %q: %v", key, cursor, err)
		}
		pages++
		if len(page.Entries) > limit {
			t.Fatalf("page of %d entries, limit %d", len(page.Entries), limit)
		}
		for _, e := range page.Entries {
			paths = append(paths, e.Path)
		}
		if page.NextCursor == "" {
			return paths, pages
		}
		if pages > 100 {
			t.Fatal("AuditList never ends")
		}
		cursor = page.NextCursor
	}
}

func testAuditPages(t *testing.T, ks store.KeyStore) {
	empty, err := ks.AuditList(t.Context(), nil)
	if err != nil || len(empty.Entries) != 0 || empty.NextCursor != "" {
		t.Fatalf("AuditList on an empty store = %+v, %v", empty, err)
	}
	// One batch, then single appends.
	if err := ks.AuditAppend(t.Context(), auditEntry(0, "ci"), auditEntry(1, ""), auditEntry(2, "ci")); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 7; i++ {
		if err := ks.AuditAppend(t.Context(), auditEntry(i, "ci")); err != nil {
			t.Fatal(err)
		}
	}
	if err := ks.AuditAppend(t.Context()); err != nil {
		t.Errorf("AuditAppend of nothing: %v", err)
	}
	first, err := ks.AuditList(t.Context(), &store.AuditListParams{Limit: 1})
	if err != nil || len(first.Entries) != 1 {
		t.Fatalf("AuditList limit 1 = %+v, %v", first, err)
	}
	want := auditEntry(6, "ci")
	want.ID = first.Entries[0].ID
	if diff := cmp.Diff(want, first.Entries[0]); diff != "" {
		t.Errorf("newest entry (-want +got):\n%s", diff)
	}
	var all []string
	for i := 6; i >= 0; i-- {
		all = append(all, auditEntry(i, "").Path)
	}
	for _, limit := range []int{1, 3, 7, 50} {
		got, pages := auditAll(t, ks, "", limit)
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("limit %d: entries newest first (-want +got):\n%s", limit, diff)
		}
		if wantPages := (7 + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	page, err := ks.AuditList(t.Context(), &store.AuditListParams{})
	if err != nil || len(page.Entries) != 7 || page.NextCursor != "" {
		t.Errorf("AuditList with Limit 0 (50) = %d entries, cursor %q, %v", len(page.Entries), page.NextCursor, err)
	}
	for i := 1; i < len(page.Entries); i++ {
		if page.Entries[i].ID >= page.Entries[i-1].ID {
			t.Errorf("IDs not decreasing: %d then %d", page.Entries[i-1].ID, page.Entries[i].ID)
		}
	}
}

func testAuditKeyFilter(t *testing.T, ks store.KeyStore) {
	var entries []*store.AuditEntry
	for i := range 9 {
		key := []string{"ci", "deploy", ""}[i%3]
		entries = append(entries, auditEntry(i, key))
	}
	if err := ks.AuditAppend(t.Context(), entries...); err != nil {
		t.Fatal(err)
	}
	got, _ := auditAll(t, ks, "deploy", 2)
	want := []string{auditEntry(7, "").Path, auditEntry(4, "").Path, auditEntry(1, "").Path}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries of key deploy (-want +got):\n%s", diff)
	}
	if got, _ := auditAll(t, ks, "nobody", 2); len(got) != 0 {
		t.Errorf("entries of an unknown key: %v", got)
	}
}

func testAuditInvalid(t *testing.T, ks store.KeyStore) {
	for _, tc := range []struct {
		name string
		e    *store.AuditEntry
	}{
		{"nil", nil},
		{"no method", &store.AuditEntry{Path: "/v1/x", Status: 200}},
		{"no path", &store.AuditEntry{Method: "POST", Status: 200}},
		{"no status", &store.AuditEntry{Method: "POST", Path: "/v1/x"}},
		{"long key", &store.AuditEntry{Method: "POST", Path: "/v1/x", Status: 200, Key: strings.Repeat("k", 1000)}},
	} {
		// A bad entry fails its whole batch.
		if err := ks.AuditAppend(t.Context(), auditEntry(0, "ci"), tc.e); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("%s: AuditAppend err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if page, err := ks.AuditList(t.Context(), nil); err != nil || len(page.Entries) != 0 {
		t.Errorf("after refused batches, AuditList = %+v, %v; want nothing", page, err)
	}
	long := auditEntry(0, "ci")
	long.Path = "/v1/" + strings.Repeat("p", 2*store.MaxAuditPathLength)
	if err := ks.AuditAppend(t.Context(), long); err != nil {
		t.Fatalf("AuditAppend of a long path: %v", err)
	}
	page, err := ks.AuditList(t.Context(), nil)
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Path != long.Path[:store.MaxAuditPathLength] {
		t.Errorf("a long path is kept cut to %d bytes; got %+v, %v", store.MaxAuditPathLength, page, err)
	}
	if len(long.Path) != 4+2*store.MaxAuditPathLength {
		t.Error("AuditAppend changed the caller's entry")
	}
	if _, err := ks.AuditList(t.Context(), &store.AuditListParams{Limit: -1}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("AuditList limit -1: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := ks.AuditList(t.Context(), &store.AuditListParams{Limit: store.MaxListLimit + 1}); err != nil {
		t.Errorf("AuditList limit %d (capped): %v", store.MaxListLimit+1, err)
	}
}

func testAuditBadCursor(t *testing.T, ks store.KeyStore) {
	for i := range 3 {
		if err := ks.AuditAppend(t.Context(), auditEntry(i, "ci")); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"!!!", "bm90IGEgY3Vyc29y", "YXVkaXQveA", "YXVkaXQvLTE", strings.Repeat("A", 5000),
		store.EncodeInstanceCursor(keyT0, "a")} {
		if _, err := ks.AuditList(t.Context(), &store.AuditListParams{Cursor: c}); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("AuditList cursor %.20q: err = %v, want ErrInvalidArgument", c, err)
		}
	}
}
