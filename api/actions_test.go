package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store"
)

// auditPage gets a listing of the audit trail with the named credential.
func (g *guarded) auditPage(cred, path string) *store.ActionPage {
	t := g.t
	t.Helper()
	resp, b := g.do(cred, http.MethodGet, path, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audit listing: %d %s", resp.StatusCode, b)
	}
	var page store.ActionPage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("audit listing: %v\n%s", err, b)
	}
	return &page
}

// summary is an entry as "actor action instance-or-target reason".
func summary(es []*store.Action) []string {
	var out []string
	for _, e := range es {
		out = append(out, strings.TrimSpace(e.Actor+" "+e.Action+" "+e.InstanceID+e.Target+" "+e.Reason))
	}
	return out
}

func TestAuditTrailWithKeys(t *testing.T) {
	for _, name := range []string{"memory", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testAuditTrailWithKeys(t, setupGuardedOn(t, backends[name](t).(guardedStore)))
		})
	}
}

func testAuditTrailWithKeys(t *testing.T, g *guarded) {
	for _, id := range []string{"C-1", "C-2"} {
		if _, err := g.st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: id, Workflow: "wf", Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	post := func(cred, path, body string, want int) {
		t.Helper()
		if resp, b := g.do(cred, http.MethodPost, path, body, nil); resp.StatusCode != want {
			t.Fatalf("POST %s %s: %d %s, want %d", path, body, resp.StatusCode, b, want)
		}
	}
	post("operate", "/v1/instances/C-1/pause", `{"reason":"customer called"}`, http.StatusOK)
	post("operate", "/v1/instances/C-1/pause", "", http.StatusConflict) // refused: no entry
	post("operate", "/v1/instances/C-1/resume", "", http.StatusOK)
	post("operate", "/v1/instances/C-1/restart", `{"reason":"ERP is back"}`, http.StatusOK)
	post("operate", "/v1/instances/C-2/terminate", `{"reason":"fraud"}`, http.StatusOK)
	post("operate", "/v1/instances/C-2/resume", "", http.StatusConflict)
	post("admin", "/v1/keys", `{"name":"ci","scope":"read"}`, http.StatusCreated)
	if resp, b := g.do("admin", http.MethodDelete, "/v1/keys/ci", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	post("admin", "/v1/webhooks", `{"id":"erp","url":"https://erp.example/hook","events":["instance.complete"],"secret":"whsec_`+
		strings.Repeat("QUJD", 8)+`"}`, http.StatusCreated)
	if resp, b := g.do("admin", http.MethodDelete, "/v1/webhooks/erp", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("webhook delete: %d %s", resp.StatusCode, b)
	}

	all := g.auditPage("admin", "/v1/audit?limit=1000")
	got := summary(all.Actions)
	want := []string{
		"admin webhook.delete webhook/erp", "admin webhook.create webhook/erp",
		"admin key.revoke key/ci", "admin key.create key/ci",
		"operate terminate C-2 fraud", "operate restart C-1 ERP is back", "operate resume C-1", "operate pause C-1 customer called",
		// The setup's keys, made without a key in the context.
		"local key.revoke key/gone", "local key.create key/gone", "local key.create key/admin", "local key.create key/operate", "local key.create key/read",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("GET /v1/audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	b, _ := json.Marshal(all)
	if strings.Contains(string(b), "whsec_") || strings.Contains(string(b), "ordo_") {
		t.Errorf("the audit trail holds a secret or key material: %s", b)
	}
	for _, e := range all.Actions {
		switch e.Action {
		case "key.create":
			if !strings.Contains(string(e.After), `"scope"`) {
				t.Errorf("key.create after = %s, want the scope", e.After)
			}
		case "webhook.delete":
			if !strings.Contains(string(e.Before), "erp.example") {
				t.Errorf("webhook.delete before = %s, want the URL", e.Before)
			}
		}
	}

	list := func(cred, path string) []string {
		t.Helper()
		return summary(g.auditPage(cred, path).Actions)
	}
	for path, want := range map[string][]string{
		"/v1/audit?action=pause":                 {"operate pause C-1 customer called"},
		"/v1/audit?actor=operate&instance=C-2":   {"operate terminate C-2 fraud"},
		"/v1/audit?target=key%2Fci":              {"admin key.revoke key/ci", "admin key.create key/ci"},
		"/v1/instances/C-1/audit?action=restart": {"operate restart C-1 ERP is back"},
		"/v1/instances/C-2/audit":                {"operate terminate C-2 fraud"},
		"/v1/audit?until=2000-01-01T00:00:00Z":   nil,
		"/v1/audit?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&actor=admin&action=key.create": {"admin key.create key/ci"},
	} {
		cred := "admin"
		if strings.HasPrefix(path, "/v1/instances/") {
			cred = "read"
		}
		if got := list(cred, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("GET %s: %q, want %q", path, got, want)
		}
	}
	// Pages of 3 give the same entries as one page.
	var paged []*store.Action
	cursor := ""
	for range 20 {
		page := g.auditPage("admin", "/v1/audit?limit=3&cursor="+url.QueryEscape(cursor))
		paged = append(paged, page.Actions...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(summary(paged), "\n") != strings.Join(want, "\n") {
		t.Errorf("pages of 3:\n%s", strings.Join(summary(paged), "\n"))
	}

	for path, param := range map[string]string{
		"/v1/audit?since=yesterday":                                       `"since"`,
		"/v1/audit?until=2026-13-01T00:00:00Z":                            `"until"`,
		"/v1/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z": `"until"`,
		"/v1/audit?limit=0":                                               "limit",
		"/v1/audit?status=failed":                                         `"status"`,
		"/v1/audit?action=a&action=b":                                     `"action"`,
		"/v1/audit?cursor=xyz":                                            "cursor",
		"/v1/audit?actor=" + strings.Repeat("a", 201):                     `"actor"`,
		"/v1/instances/C-1/audit?instance=C-2":                            `"instance"`,
	} {
		cred := "admin"
		resp, b := g.do(cred, http.MethodGet, path, "", nil)
		if resp.StatusCode != http.StatusBadRequest || code(t, b) != api.CodeInvalidArgument || !strings.Contains(string(b), strings.Trim(param, `"`)) {
			t.Errorf("GET %s: %d %s, want 400 invalid_argument naming %s", path, resp.StatusCode, b, param)
		}
	}
	for _, path := range []string{"/v1/instances/nope/audit", "/v1/orders/C-1/audit", "/v1/orders/nope/audit"} {
		if resp, b := g.do("read", http.MethodGet, path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404 (no such instance, or not an order)", path, resp.StatusCode, b)
		}
	}
	if resp, b := g.do("read", http.MethodGet, "/v1/audit", "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /v1/audit with a read key: %d %s, want 403 (admin)", resp.StatusCode, b)
	}
}

// TestAuditTrailWithoutKeys: a server without authentication records the
// actor "local".
func TestAuditTrailWithoutKeys(t *testing.T) {
	hs, e := setup(t)
	inst, err := e.Create(t.Context(), "approve", json.RawMessage(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(hs.URL+"/v1/instances/"+inst.ID+"/terminate", "application/json", strings.NewReader(`{"reason":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("terminate: %d", resp.StatusCode)
	}
	resp, err = http.Get(hs.URL + "/v1/instances/" + inst.ID + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page store.ActionPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if got := summary(page.Actions); len(got) != 1 || got[0] != "local terminate "+inst.ID+" test" {
		t.Errorf("audit trail of %s: %q, want one terminate by local", inst.ID, got)
	}
}
