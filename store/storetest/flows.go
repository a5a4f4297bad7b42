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
		{"Versions", testFlowVersions},
		{"LoadNew", testFlowLoadNew},
		{"LoadKeepsAPIVersion", testFlowLoadKeepsAPIVersion},
		{"LoadChangedFile", testFlowLoadChangedFile},
		{"LoadOverride", testFlowLoadOverride},
		{"LoadNeverLoaded", testFlowLoadNeverLoaded},
		{"LoadMatchesAPIVersion", testFlowLoadMatchesAPIVersion},
		{"CountByParam", testFlowCountByParam},
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
	want := &store.FlowVersion{Name: "orders", Version: 1, Hash: "h1", Definition: flowDef(1), CreatedAt: flowT0, Source: store.FlowSourceAPI}
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

func testFlowVersions(t *testing.T, fs store.FlowStore) {
	if _, err := fs.FlowVersions(t.Context(), "orders"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FlowVersions of a missing flow: err = %v, want ErrNotFound", err)
	}
	flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	flowLoad(t, fs, "orders", "h2", 2, true)
	flowPut(t, fs, "other", "o1", flowDef(1), flowT0)
	got, err := fs.FlowVersions(t.Context(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := []*store.FlowVersion{
		{Name: "orders", Version: 1, Hash: "h1", CreatedAt: flowT0, Source: store.FlowSourceAPI},
		{Name: "orders", Version: 2, Hash: "h2", CreatedAt: flowT0, Source: store.FileSource("flows/orders.json")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FlowVersions (-want +got):\n%s", diff)
	}
}

// flowLoad loads flowDef(n) with hash from the file flows/NAME.json.
func flowLoad(t *testing.T, fs store.FlowStore, name, hash string, n int, override bool) *store.FlowLoadResult {
	t.Helper()
	res, err := fs.FlowLoad(t.Context(), &store.FlowLoadParams{
		FlowPutParams: store.FlowPutParams{Name: name, Hash: hash, Definition: flowDef(n), Now: flowT0},
		Path:          "flows/" + name + ".json", Override: override,
	})
	if err != nil {
		t.Fatalf("FlowLoad %q %s: %v", name, hash, err)
	}
	return res
}

// wantLoad checks a load's outcome and the version it leaves latest.
func wantLoad(t *testing.T, res *store.FlowLoadResult, outcome store.FlowLoadOutcome, version int, hash string) {
	t.Helper()
	if res.Outcome != outcome || res.Version == nil || res.Version.Version != version || res.Version.Hash != hash {
		t.Fatalf("FlowLoad = %s, version %+v; want %s, version %d with hash %s", res.Outcome, res.Version, outcome, version, hash)
	}
}

func testFlowLoadNew(t *testing.T, fs store.FlowStore) {
	res := flowLoad(t, fs, "orders", "h1", 1, false)
	wantLoad(t, res, store.FlowLoadCreated, 1, "h1")
	if res.Previous != nil || res.LastLoad != nil {
		t.Errorf("first load: Previous %+v, LastLoad %+v; want nil", res.Previous, res.LastLoad)
	}
	if src := flowGet(t, fs, "orders", 1).Source; src != "file:flows/orders.json" {
		t.Errorf("source of a loaded version = %q, want file:flows/orders.json", src)
	}
	again := flowLoad(t, fs, "orders", "h1", 1, false)
	wantLoad(t, again, store.FlowLoadUnchanged, 1, "h1")
	if again.LastLoad == nil || again.LastLoad.Hash != "h1" || again.LastLoad.Path != "flows/orders.json" {
		t.Errorf("second load: LastLoad = %+v, want h1 from flows/orders.json", again.LastLoad)
	}
}

// testFlowLoadKeepsAPIVersion: v1 from the file, v2 through the API, the
// same file loaded again: v2 stays, however often.
func testFlowLoadKeepsAPIVersion(t *testing.T, fs store.FlowStore) {
	flowLoad(t, fs, "orders", "h1", 1, false)
	flowPut(t, fs, "orders", "h2", flowDef(2), flowT0)
	for range 2 {
		res := flowLoad(t, fs, "orders", "h1", 1, false)
		wantLoad(t, res, store.FlowLoadKept, 2, "h2")
		if res.LastLoad == nil || res.LastLoad.Version != 1 {
			t.Errorf("kept: LastLoad = %+v, want version 1", res.LastLoad)
		}
	}
	if _, err := fs.FlowGet(t.Context(), "orders", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a kept load wrote version 3: err = %v", err)
	}
}

func testFlowLoadChangedFile(t *testing.T, fs store.FlowStore) {
	flowLoad(t, fs, "orders", "h1", 1, false)
	flowPut(t, fs, "orders", "h2", flowDef(2), flowT0)
	res := flowLoad(t, fs, "orders", "h3", 3, false)
	wantLoad(t, res, store.FlowLoadCreated, 3, "h3")
	if res.Previous == nil || res.Previous.Version != 2 {
		t.Errorf("Previous = %+v, want version 2", res.Previous)
	}
	wantLoad(t, flowLoad(t, fs, "orders", "h3", 3, false), store.FlowLoadUnchanged, 3, "h3")
}

func testFlowLoadOverride(t *testing.T, fs store.FlowStore) {
	flowLoad(t, fs, "orders", "h1", 1, false)
	flowPut(t, fs, "orders", "h2", flowDef(2), flowT0)
	wantLoad(t, flowLoad(t, fs, "orders", "h1", 1, true), store.FlowLoadCreated, 3, "h1")
	wantLoad(t, flowLoad(t, fs, "orders", "h1", 1, false), store.FlowLoadUnchanged, 3, "h1")
}

// testFlowLoadNeverLoaded: a flow applied through the API, then a file of
// it never loaded before: the API's version stays (override applies it).
func testFlowLoadNeverLoaded(t *testing.T, fs store.FlowStore) {
	flowPut(t, fs, "orders", "h1", flowDef(1), flowT0)
	wantLoad(t, flowLoad(t, fs, "orders", "h2", 2, false), store.FlowLoadKept, 1, "h1")
	wantLoad(t, flowLoad(t, fs, "orders", "h2", 2, true), store.FlowLoadCreated, 2, "h2")
}

// testFlowLoadMatchesAPIVersion: a file edited to the content applied
// through the API is a load of that version; a later API version is then
// kept against the same file.
func testFlowLoadMatchesAPIVersion(t *testing.T, fs store.FlowStore) {
	flowLoad(t, fs, "orders", "h1", 1, false)
	flowPut(t, fs, "orders", "h2", flowDef(2), flowT0)
	wantLoad(t, flowLoad(t, fs, "orders", "h2", 2, false), store.FlowLoadUnchanged, 2, "h2")
	flowPut(t, fs, "orders", "h3", flowDef(3), flowT0)
	wantLoad(t, flowLoad(t, fs, "orders", "h2", 2, false), store.FlowLoadKept, 3, "h3")
}

// testFlowCountByParam: the orders on each flow version, counted by the
// version in their params (store.ParamCountStore).
func testFlowCountByParam(t *testing.T, fs store.FlowStore) {
	st, ok := fs.(store.Store)
	pc, ok2 := fs.(store.ParamCountStore)
	if !ok || !ok2 {
		t.Fatalf("%T is not a store.Store and store.ParamCountStore", fs)
	}
	for i, p := range []struct{ workflow, params string }{
		{"flow/shop", `{"flow":"shop","version":1,"customer":{"name":"Ada"}}`},
		{"flow/shop", `{"flow":"shop","version":2,"items":[{"sku":"A"}]}`},
		{"flow/shop", `{"flow":"shop","version":1}`},
		{"flow/shop", `{"flow":"shop"}`},
		{"flow/shop", `"not an object"`},
		{"flow/other", `{"version":1}`},
	} {
		if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{
			ID: fmt.Sprintf("o-%d", i), Workflow: p.workflow, Params: json.RawMessage(p.params), Now: flowT0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := pc.InstanceCountByParam(t.Context(), "flow/shop", "version")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"1": 2, "2": 1, "": 2}, got); diff != "" {
		t.Errorf("InstanceCountByParam (-want +got):\n%s", diff)
	}
	if _, err := pc.InstanceCountByParam(t.Context(), "flow/shop", "version') --"); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("a field with quotes: err = %v, want ErrInvalidArgument", err)
	}
}
