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
