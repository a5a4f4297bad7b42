package order_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

// objectForm rewrites the seed's array as the object form with another
// layout and an explicit null, which must not count as a change.
func objectForm(t *testing.T, arr []byte) []byte {
	t.Helper()
	var steps []map[string]any
	if err := json.Unmarshal(arr, &steps); err != nil {
		t.Fatal(err)
	}
	steps[1]["timeout"] = nil
	b, err := json.MarshalIndent(map[string]any{"steps": steps}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTTPFlowVersions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	seed := seedFlow(t, "https://shop.example.com/orders")

	status, raw := f.do("PUT", "/v1/flows/standard", seed)
	v1 := decode[order.FlowResponse](t, raw)
	if status != http.StatusCreated || !v1.Created || v1.Version != 1 || v1.Name != "standard" || v1.Hash == "" {
		t.Fatalf("first PUT: %d %s", status, raw)
	}

	status, raw = f.do("PUT", "/v1/flows/standard", objectForm(t, seed))
	same := decode[order.FlowResponse](t, raw)
	if status != http.StatusOK || same.Created || same.Version != 1 || same.Hash != v1.Hash {
		t.Errorf("PUT of the same content in the object form: %d %s; want 200, version 1, created false", status, raw)
	}

	changed := strings.Replace(string(seed), `"Success subject"`, `"Your order has shipped"`, 1)
	status, raw = f.do("PUT", "/v1/flows/standard", changed)
	v2 := decode[order.FlowResponse](t, raw)
	if status != http.StatusCreated || !v2.Created || v2.Version != 2 || v2.Hash == v1.Hash {
		t.Errorf("PUT of changed content: %d %s; want 201 version 2", status, raw)
	}

	status, raw = f.do("GET", "/v1/flows/standard", nil)
	if got := decode[store.FlowVersion](t, raw); status != http.StatusOK || got.Version != 2 || !strings.Contains(string(got.Definition), "Your order has shipped") {
		t.Errorf("GET latest: %d %s", status, raw)
	}
	status, raw = f.do("GET", "/v1/flows/standard?version=1", nil)
	got := decode[store.FlowVersion](t, raw)
	if status != http.StatusOK || got.Version != 1 || !strings.Contains(string(got.Definition), "Success subject") {
		t.Errorf("GET ?version=1: %d %s", status, raw)
	}
	if res, err := flow.Parse(got.Definition); err != nil || flow.Hash(res.Definition) != v1.Hash {
		t.Errorf("stored definition does not parse back to the applied flow: %v", err)
	}

	f.do("PUT", "/v1/flows/another", seed)
	status, raw = f.do("GET", "/v1/flows", nil)
	list := decode[struct{ Flows []store.FlowVersion }](t, raw)
	if status != http.StatusOK || len(list.Flows) != 2 || list.Flows[0].Name != "another" || list.Flows[1].Name != "standard" || list.Flows[1].Version != 2 {
		t.Errorf("GET /v1/flows: %d %s", status, raw)
	}

	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/flows/missing", http.StatusNotFound, "not_found"},
		{"/v1/flows/standard?version=3", http.StatusNotFound, "not_found"},
		{"/v1/flows/standard?version=0", http.StatusBadRequest, "invalid_argument"},
		{"/v1/flows/standard?version=x", http.StatusBadRequest, "invalid_argument"},
	} {
		status, raw := f.do("GET", tc.path, nil)
		if e := decode[apiError](t, raw); status != tc.status || e.Error.Code != tc.code {
			t.Errorf("GET %s: %d %s; want %d %s", tc.path, status, raw, tc.status, tc.code)
		}
	}
}

func TestHTTPFlowInvalid(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	bad := `[
		{"stepDefinitionId": "a", "type": "consume-rest-api", "successStatus": "x", "options": {"uri": "not a url"}, "onSuccess": "nowhere"},
		{"stepDefinitionId": "a", "type": "fax", "successStatus": "y", "options": {}}
	]`
	for _, path := range []string{"/v1/flows/broken", "/v1/flows/validate"} {
		method := "PUT"
		if strings.HasSuffix(path, "validate") {
			method = "POST"
		}
		status, raw := f.do(method, path, bad)
		e := decode[apiError](t, raw)
		var problems []flow.Problem
		if err := json.Unmarshal(e.Error.Details, &problems); err != nil {
			t.Fatalf("%s %s: details are not problems: %s", method, path, raw)
		}
		codes := map[string]bool{}
		for _, p := range problems {
			codes[p.Code] = true
		}
		if status != http.StatusBadRequest || e.Error.Code != order.CodeInvalidFlow ||
			!codes[flow.CodeInvalidOption] || !codes[flow.CodeUnknownStep] || !codes[flow.CodeDuplicateID] || !codes[flow.CodeUnknownType] {
			t.Errorf("%s %s: %d %s; want 400 invalid_flow listing every problem", method, path, status, raw)
		}
	}
	if status, _ := f.do("GET", "/v1/flows/broken", nil); status != http.StatusNotFound {
		t.Errorf("an invalid flow was stored: GET answered %d", status)
	}
	if status, raw := f.do("PUT", "/v1/flows/schema", seedFlow(t, "https://x.example")); status != http.StatusBadRequest {
		t.Errorf("PUT a flow named schema: %d %s, want 400 (reserved)", status, raw)
	}
	if status, raw := f.do("PUT", "/v1/flows/bad%20name", seedFlow(t, "https://x.example")); status != http.StatusBadRequest {
		t.Errorf("PUT a flow named %q: %d %s, want 400", "bad name", status, raw)
	}
}

func TestHTTPFlowValidateAndSchema(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	status, raw := f.do("POST", "/v1/flows/validate", seedFlow(t, "https://x.example"))
	v := decode[order.ValidateResponse](t, raw)
	if status != http.StatusOK || !v.Valid || v.Steps != 4 || v.Hash == "" || len(v.Definition) == 0 {
		t.Errorf("validate the seed: %d %s", status, raw)
	}
	if status, _ := f.do("GET", "/v1/flows", nil); status != http.StatusOK {
		t.Errorf("GET /v1/flows: %d", status)
	}
	if _, raw := f.do("GET", "/v1/flows", nil); !strings.Contains(string(raw), `"flows":[]`) {
		t.Errorf("validate stored a flow: %s", raw)
	}
	status, raw = f.do("GET", "/v1/flows/schema", nil)
	if status != http.StatusOK || string(raw) != string(flow.Schema()) {
		t.Errorf("GET /v1/flows/schema: %d, body equal to flow.Schema(): %v", status, string(raw) == string(flow.Schema()))
	}
}

// TestHTTPFlowDiffAndVersions: the versions of a flow with their sources
// and order counts, and the diff of two versions.
func TestHTTPFlowDiffAndVersions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	seed := seedFlow(t, "https://shop.example.com/orders")
	f.apply("standard", seed)
	f.create(sampleOrder("C-1", "standard"))
	f.create(sampleOrder("C-2", "standard"))
	f.apply("standard", []byte(strings.Replace(string(seed), `"Success subject"`, `"Your order has shipped"`, 1)))
	f.create(sampleOrder("C-3", "standard"))

	status, raw := f.do("GET", "/v1/flows/standard/versions", nil)
	var vs struct {
		Versions []order.FlowVersionInfo `json:"versions"`
	}
	if err := json.Unmarshal(raw, &vs); err != nil || status != http.StatusOK || len(vs.Versions) != 2 {
		t.Fatalf("GET versions: %d %s %v", status, raw, err)
	}
	for i, want := range []int{2, 1} {
		v := vs.Versions[i]
		if v.Version != i+1 || v.Orders != want || v.Source != store.FlowSourceAPI || len(v.Definition) != 0 {
			t.Errorf("version %d: %+v, want %d orders from the API, no definition", i+1, v, want)
		}
	}

	status, raw = f.do("GET", "/v1/flows/standard/diff?from=1&to=2", nil)
	d := decode[order.FlowDiff](t, raw)
	if status != http.StatusOK || d.Added != 1 || d.Removed != 1 || d.Truncated {
		t.Fatalf("GET diff: %d %s", status, raw)
	}
	var removed, added string
	for _, l := range d.Lines {
		switch l.Op {
		case order.DiffRemoved:
			removed = l.Text
		case order.DiffAdded:
			added = l.Text
		}
	}
	if !strings.Contains(removed, "Success subject") || !strings.Contains(added, "Your order has shipped") {
		t.Errorf("diff lines: removed %q added %q", removed, added)
	}
	if d.Lines[0].Op != order.DiffHunk || !strings.HasPrefix(d.Lines[0].Text, "@@ -") {
		t.Errorf("first line %+v, want a hunk header", d.Lines[0])
	}
	if status, raw := f.do("GET", "/v1/flows/standard/diff?from=2&to=2", nil); status != http.StatusOK ||
		decode[order.FlowDiff](t, raw).Added != 0 || len(decode[order.FlowDiff](t, raw).Lines) != 0 {
		t.Errorf("diff of a version with itself: %d %s", status, raw)
	}
	for path, want := range map[string]int{
		"/v1/flows/standard/diff?from=1&to=9": http.StatusNotFound,
		"/v1/flows/standard/diff?from=1":      http.StatusBadRequest,
		"/v1/flows/standard/diff?from=x&to=2": http.StatusBadRequest,
		"/v1/flows/missing/diff?from=1&to=2":  http.StatusNotFound,
		"/v1/flows/missing/versions":          http.StatusNotFound,
	} {
		if status, raw := f.do("GET", path, nil); status != want {
			t.Errorf("GET %s: %d %s, want %d", path, status, raw, want)
		}
	}
}
