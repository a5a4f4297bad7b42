package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/order/ordertest"
)

// TestOrdersRestartOnNewFlowVersionCLI is the seed bug: after ordo flows
// apply of a v2 that fixes the ERP URL, ordo orders restart --from-step
// notify-erp --flow-version latest runs v2, and the first run stays
// readable.
func TestOrdersRestartOnNewFlowVersionCLI(t *testing.T) {
	t.Parallel()
	bad := ordertest.StartEndpoint(t, func(*http.Request, *ordertest.Request) (int, string) {
		return http.StatusUnprocessableEntity, `{"error":"unknown"}`
	})
	good := ordertest.StartEndpoint(t, nil)
	server := startOrderAPI(t, ordertest.StartMailServer(t, nil))
	dir := t.TempDir()
	mustRun := func(want string, args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", server)...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("ordo %s: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout to contain %q", strings.Join(args, " "), err, out, errOut, want)
		}
		return out
	}
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	flow := func(uri string) string {
		return `[
			{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "In production",
			 "options": {}, "onSuccess": "notify-erp"},
			{"stepDefinitionId": "notify-erp", "type": "consume-rest-api", "successStatus": "Sent to ERP",
			 "options": {"uri": "` + uri + `"}}
		]`
	}
	mustRun("version 1 created", "flows", "apply", "shop", write("v1.json", flow(bad.URL+"/erp")))
	mustRun("order C-3001 created", "orders", "create", write("order.json", `{"id": "C-3001", "flow": "shop",
		"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "GIFT-CARD", "quantity": 1}]}`))
	waitUntil(t, 30*time.Second, "the order fails on v1", func() bool {
		return strings.Contains(mustRun("Order     C-3001", "orders", "get", "C-3001"), "(errored)")
	})
	mustRun("version 2 created", "flows", "apply", "shop", write("v2.json", flow(good.URL+"/erp")))
	mustRun("C-3001: run 2 on shop version 2", "orders", "restart", "C-3001", "--from-step", "notify-erp",
		"--flow-version", "latest", "--reason", "ERP URL fixed")
	var got string
	waitUntil(t, 30*time.Second, "the order completes on v2", func() bool {
		got = mustRun("Order     C-3001", "orders", "get", "C-3001")
		return strings.Contains(got, "Status    Sent to ERP")
	})
	for _, want := range []string{"(version 2)", "restarted: run 2 from step notify-erp", "ERP URL fixed", "Run 1  errored", "422"} {
		if !strings.Contains(got, want) {
			t.Errorf("orders get does not show %q:\n%s", want, got)
		}
	}
	if n := len(good.Requests()); n != 1 {
		t.Errorf("the fixed ERP got %d requests, want 1", n)
	}
	mustRun("Run 1  errored", "instances", "describe", "C-3001")
}
