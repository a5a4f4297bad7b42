package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordohq/ordo/order/ordertest"
)

// TestInstancesCreateWait: --wait prints the finished instance, or says it
// is still running.
func TestInstancesCreateWait(t *testing.T) {
	t.Parallel()
	server := startAPI(t)
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", server)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	create := []string{"instances", "create", "ship", "--id", "w-1", "--params", `{"order": "7"}`}
	if out := run(append(create, "--wait", "100ms")...); !strings.Contains(out, "w-1 is still") || !strings.Contains(out, "after 100ms") {
		t.Errorf("create --wait of an instance waiting for an event:\n%s", out)
	}
	run("instances", "send-event", "w-1", "picked-up", "--payload", `"by DHL"`)
	// The same create again waits for the instance and prints it finished.
	if out := run(append(create, "--wait", "20s")...); !strings.Contains(out, "Status    complete") || !strings.Contains(out, `Output    "by DHL"`) {
		t.Errorf("repeated create --wait:\n%s", out)
	}
	if _, _, err := runCLI(t, append(create, "--wait", "1h", "--server", server)...); err == nil || !strings.Contains(err.Error(), "wait") {
		t.Errorf("--wait 1h: %v, want the server's refusal naming wait", err)
	}
}

// TestOrdersCreateWait runs `ordo serve` and creates orders with --wait: a
// flow that completes and one that errors (no SMTP server).
func TestOrdersCreateWait(t *testing.T) {
	t.Parallel()
	endpoint := ordertest.StartEndpoint(t, nil)
	srv := startServe(t, "--data-dir", t.TempDir())
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", srv.URL)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	run("flows", "apply", "post", write("post.json", `[{"stepDefinitionId": "post", "type": "consume-rest-api",
		"successStatus": "Sent", "options": {"uri": "`+endpoint.URL+`"}}]`))
	run("flows", "apply", "mail", write("mail.json", `[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Mailed",
		"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]`))
	order := func(id, flow string) string {
		return write(id+".json", `{"id": "`+id+`", "flow": "`+flow+`", "customer": {"name": "Ada", "email": "ada@example.com"},
			"items": [{"sku": "RING-7", "quantity": 1}]}`)
	}
	if out := run("orders", "create", order("c-1", "post"), "--wait", "30s"); !strings.Contains(out, "Instance  c-1 (complete)") || !strings.Contains(out, "Status    Sent") {
		t.Errorf("orders create --wait of a completing flow:\n%s", out)
	}
	if out := run("orders", "create", order("e-1", "mail"), "--wait", "30s"); !strings.Contains(out, "Instance  e-1 (errored)") || !strings.Contains(out, "Error ") {
		t.Errorf("orders create --wait of an erroring flow:\n%s", out)
	}
}
