package openapitest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/auth"
)

// Differences are where a server's routes and the document part ways.
type Differences struct {
	// Undocumented are the routes the server registers that the document
	// lacks, or describes with another scope ("GET /v1/x: ...").
	Undocumented []string
	// Unserved are the document's operations no registered route serves.
	Unserved []string
}

// operation is what the drift check reads of a document's operation.
type operation struct {
	Security []map[string][]string `json:"security"`
}

// Drift compares the routes registered on srv (Server.Patterns, less the
// dashboard's, and the scopes of Server.Routes) with the operations of the
// document doc (api.OpenAPI()): each route must be an operation with the
// same method and path, wildcards named alike, whose security names the
// route's scope (none for /healthz and /readyz); each operation must be a
// route.
func Drift(srv *api.Server, doc []byte) (*Differences, error) {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	ops := map[string]operation{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if !slices.Contains(httpMethods, method) {
				continue // parameters, summary, ...
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("read the OpenAPI document: %s %s: %w", method, path, err)
			}
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	scopes := map[string]auth.Scope{}
	for _, r := range srv.Routes() {
		scopes[r.Pattern] = r.Scope
	}
	diff := &Differences{}
	served := map[string]bool{}
	for _, p := range srv.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok || dashboard(strings.TrimSuffix(path, "{$}")) {
			continue // the dashboard: not part of the API
		}
		key := method + " " + path
		served[key] = true
		op, ok := ops[key]
		if !ok {
			diff.Undocumented = append(diff.Undocumented, key+": not in the document")
			continue
		}
		want, guarded := scopes[p]
		if got := docScope(op); !guarded && got != "" {
			diff.Undocumented = append(diff.Undocumented, fmt.Sprintf("%s: open to anyone, the document says it needs %s", key, got))
		} else if guarded && got != string(want) {
			diff.Undocumented = append(diff.Undocumented, fmt.Sprintf("%s: needs the %s scope, the document says %q (want security [{\"apiKey\": [%q]}])", key, want, got, want))
		}
	}
	for key := range ops {
		if !served[key] {
			diff.Unserved = append(diff.Unserved, key+": in the document, served by no route")
		}
	}
	slices.Sort(diff.Undocumented)
	slices.Sort(diff.Unserved)
	return diff, nil
}

// httpMethods are the operation keys of a path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// docScope returns the scope an operation's security names: "" for none
// (an open route), or a description of what is wrong with it.
func docScope(op operation) string {
	switch {
	case op.Security == nil:
		return "nothing (no security: the document's default)"
	case len(op.Security) == 0:
		return ""
	case len(op.Security) == 1 && len(op.Security[0]) == 1 && len(op.Security[0]["apiKey"]) == 1:
		return op.Security[0]["apiKey"][0]
	}
	b, _ := json.Marshal(op.Security)
	return "security " + string(b)
}
