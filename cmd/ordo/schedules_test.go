package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSchedulesCommands drives `ordo schedules` against a real `ordo
// serve`: a recurring order is created, triggered, backfilled, paused,
// resumed, described and deleted.
func TestSchedulesCommands(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--data-dir", t.TempDir())
	dir := t.TempDir()
	flowFile := filepath.Join(dir, "box.json")
	flowJSON := `[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
		"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]`
	if err := os.WriteFile(flowFile, []byte(flowJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "BOX-M", "quantity": 1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", p.URL)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	run("flows", "apply", "box", flowFile)
	out := run("schedules", "create", "box-monthly", "--cron", "0 9 1 * *", "--timezone", "Europe/Berlin", "--flow", "box", "--order", "@"+orderFile)
	if !strings.Contains(out, "order of flow box") || !strings.Contains(out, "Next fires") {
		t.Fatalf("create printed:\n%s", out)
	}
	out = run("schedules", "list")
	if !strings.Contains(out, "box-monthly") || !strings.Contains(out, "0 9 1 * * (Europe/Berlin)") {
		t.Fatalf("list printed:\n%s", out)
	}
	out = run("schedules", "trigger", "box-monthly")
	if !strings.Contains(out, "started") || !strings.Contains(out, "sched:box-monthly:") {
		t.Fatalf("trigger printed:\n%s", out)
	}
	now := time.Now().UTC()
	from := time.Date(now.Year()-1, now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-time.Hour).Format(time.RFC3339)
	out = run("schedules", "backfill", "box-monthly", "--from", from, "--to", to)
	if !strings.HasPrefix(out, "12 fired, 0 had fired before") {
		t.Fatalf("backfill printed:\n%s", out)
	}
	out = run("schedules", "backfill", "box-monthly", "--from", from, "--to", to)
	if !strings.HasPrefix(out, "0 fired, 12 had fired before") {
		t.Fatalf("second backfill printed:\n%s", out)
	}
	if out = run("schedules", "pause", "box-monthly"); !strings.Contains(out, "Paused    true") {
		t.Fatalf("pause printed:\n%s", out)
	}
	if out = run("schedules", "resume", "box-monthly"); !strings.Contains(out, "Paused    false") {
		t.Fatalf("resume printed:\n%s", out)
	}
	var v struct {
		NextFires []time.Time `json:"nextFires"`
		LastFires []struct {
			InstanceID, Outcome string
		} `json:"lastFires"`
	}
	if err := json.Unmarshal([]byte(run("schedules", "describe", "box-monthly", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.NextFires) != 10 || len(v.LastFires) != 13 {
		t.Fatalf("describe: %d next fires, %d last fires", len(v.NextFires), len(v.LastFires))
	}
	// Each fire's order exists.
	if out = run("orders", "get", v.LastFires[0].InstanceID); !strings.Contains(out, "box") {
		t.Fatalf("orders get %s printed:\n%s", v.LastFires[0].InstanceID, out)
	}
	if _, errOut, err := runCLI(t, "schedules", "create", "bad", "--every", "10ms", "--flow", "box", "--server", p.URL); err == nil || !strings.Contains(err.Error()+errOut, "every") {
		t.Fatalf("a bad schedule: %v %s", err, errOut)
	}
	run("schedules", "delete", "box-monthly")
	if _, _, err := runCLI(t, "schedules", "describe", "box-monthly", "--server", p.URL); err == nil {
		t.Fatal("describe of a deleted schedule succeeded")
	}
}
