package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// RunFlows runs the conformance tests of the optional store.FlowStore
// capability. open is called as in Run; the store it returns must
// implement store.FlowStore.
func RunFlows(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.FlowStore]{
		{"PutNew", testFlowPutNew},
		{"PutSameHash", testFlowPutSameHash},
		{"PutChanged", testFlowPutChanged},
		{"PutRevert", testFlowPutRevert},
		{"GetNotFound", testFlowGetNotFound},
		{"List", testFlowList},
		{"PutConcurrent", testFlowPutConcurrent},
		{"NoAliasing", testFlowNoAliasing},
	})
}

// flowT0 is the base of the times the flow tests pass.
var flowT0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func flowDef(n int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"steps":[{"stepDefinitionId":"s%d","type":"send-email"}]}`, n))
}

func flowPut(t *testing.T, fs store.FlowStore, name, hash string, def json.RawMessage, now time.Time) (*store.FlowVersion, bool) {
	t.Helper()
	v, created, err := fs.FlowPut(t.Context(), &store.FlowPutParams{Name: name, Hash: hash, Definition: def, Now: now})
	if err != nil {
		t.Fatalf("FlowPut %q %s: %v", name, hash, err)
	}
	return v, created
}

func flowGet(t *testing.T, fs store.FlowStore, name string, version int) *store.FlowVersion {
	t.Helper()
	v, err := fs.FlowGet(t.Context(), name, version)
	if err != nil {
		t.Fatalf("FlowGet %q %d: %v", name, version, err)
	}
	return v
}

func testFlowPutNew(t *testing.T, fs store.FlowStore) {
	v, created := flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	want := &store.FlowVersion{Name: "orders", Version: 1, Hash: "h1", Definition: flowDef(1), CreatedAt: flowT0}
	if !created {
		t.Error("created = false for a new flow")
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("FlowPut (-want +got):\n%s", diff)
	}
	for _, version := range []int{0, 1} {
		if diff := cmp.Diff(want, flowGet(t, fs, "orders", version)); diff != "" {
			t.Errorf("FlowGet version %d (-want +got):\n%s", version, diff)
		}
	}
}

func testFlowPutSameHash(t *testing.T, fs store.FlowStore) {
	first, _ := flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	again, created := flowPut(t, fs, "orders", "h1", flowDef(1), flowT0.Add(time.Hour))
	if created {
		t.Error("created = true for content equal to the latest version")
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("put of the same hash must return the latest version unchanged (-first +again):\n%s", diff)
	}
	if _, err := fs.FlowGet(t.Context(), "orders", 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FlowGet version 2 after a no-op put: err = %v, want ErrNotFound", err)
	}
}

func testFlowPutChanged(t *testing.T, fs store.FlowStore) {
	flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	v2, created := flowPut(t, fs, "orders", "h2", flowDef(2), flowT0.Add(time.Minute))
	if !created || v2.Version != 2 {
		t.Fatalf("put of changed content: version %d created %v, want 2 true", v2.Version, created)
	}
	if got := flowGet(t, fs, "orders", 0); got.Version != 2 || got.Hash != "h2" {
		t.Errorf("latest = version %d hash %s, want 2 h2", got.Version, got.Hash)
	}
	old := flowGet(t, fs, "orders", 1)
	if old.Hash != "h1" || string(old.Definition) != string(flowDef(1)) || !old.CreatedAt.Equal(flowT0) {
		t.Errorf("version 1 changed: %+v", old)
	}
}

// testFlowPutRevert: going back to an earlier content is a change of the
// latest version, so it makes a new version.
func testFlowPutRevert(t *testing.T, fs store.FlowStore) {
	flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	flowPut(t, fs, "orders", "h2", flowDef(2), flowT0)
	v, created := flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	if !created || v.Version != 3 {
		t.Errorf("revert to version 1's content: version %d created %v, want 3 true", v.Version, created)
	}
}

func testFlowGetNotFound(t *testing.T, fs store.FlowStore) {
	flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	for _, tc := range []struct {
		name    string
		version int
	}{{"missing", 0}, {"missing", 1}, {"orders", 2}, {"orders", -1}} {
		if _, err := fs.FlowGet(t.Context(), tc.name, tc.version); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FlowGet(%q, %d): err = %v, want ErrNotFound", tc.name, tc.version, err)
		}
	}
}

func testFlowList(t *testing.T, fs store.FlowStore) {
	empty, err := fs.FlowList(t.Context())
	if err != nil || len(empty) != 0 {
		t.Fatalf("FlowList on an empty store = %v, %v; want nothing", empty, err)
	}
	flowPut(t, fs, "zeta", "z1", flowDef(1), flowT0)
	flowPut(t, fs, "alpha", "a1", flowDef(1), flowT0)
	flowPut(t, fs, "alpha", "a2", flowDef(2), flowT0)
	got, err := fs.FlowList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, v := range got {
		summary = append(summary, fmt.Sprintf("%s@%d:%s", v.Name, v.Version, v.Hash))
	}
	if diff := cmp.Diff([]string{"alpha@2:a2", "zeta@1:z1"}, summary); diff != "" {
		t.Errorf("FlowList (-want +got):\n%s", diff)
	}
}

// testFlowPutConcurrent: concurrent puts of different content each get
// their own version number, 1..n without gaps or repeats.
func testFlowPutConcurrent(t *testing.T, fs store.FlowStore) {
	const n = 16
	var wg sync.WaitGroup
	versions := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			v, _, err := fs.FlowPut(t.Context(), &store.FlowPutParams{
				Name: "orders", Hash: fmt.Sprintf("h%d", i), Definition: flowDef(i), Now: flowT0,
			})
			errs[i] = err
			if err == nil {
				versions[i] = v.Version
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("FlowPut %d: %v", i, errs[i])
		}
		if seen[versions[i]] {
			t.Errorf("version %d was given twice", versions[i])
		}
		seen[versions[i]] = true
	}
	for v := 1; v <= n; v++ {
		if !seen[v] {
			t.Errorf("version %d is missing; got %v", v, versions)
		}
	}
}

func testFlowNoAliasing(t *testing.T, fs store.FlowStore) {
	def := flowDef(1)
	v, _ := flowPut(t, fs, "orders", "h1", def, flowT0)
	def[0] = 'X'
	v.Definition[0] = 'Y'
	if got := flowGet(t, fs, "orders", 1); string(got.Definition) != string(flowDef(1)) {
		t.Errorf("stored definition changed through a caller's slice: %s", got.Definition)
	}
}
