package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/mesh"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/store/memory"
)

// startOrderAPI serves the engine and the order routes in this process on
// an in-memory store, with e-mail going to mail.
func startOrderAPI(t *testing.T, mail *ordertest.MailServer) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := memory.New()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := email.New(email.Config{URL: mail.URL(), From: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := order.New(order.Config{Engine: e, Store: st, Artifacts: files, Mailer: mailer, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.Routes(srv)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
		_ = e.Stop(ctx)
		files.Close()
	})
	return hs.URL
}

// seedFile writes the seed's example flow with its uri pointing at uri.
func seedFile(t *testing.T, dir, name, uri string) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/orderflow/flow.json")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("https://httpbin.org/anything"), []byte(uri), 1)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFlowsAndOrdersCLI(t *testing.T) {
	t.Parallel()
	endpoint := ordertest.StartEndpoint(t, nil)
	mail := ordertest.StartMailServer(t, nil)
	server := startOrderAPI(t, mail)
	dir := t.TempDir()
	run := func(args ...string) (string, string, error) {
		t.Helper()
		return runCLI(t, append(args, "--server", server)...)
	}
	mustRun := func(want string, args ...string) string {
		t.Helper()
		out, errOut, err := run(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("ordo %s: %v\nstdout:\n%s\nstderr:\n%s\nwant stdout to contain %q", strings.Join(args, " "), err, out, errOut, want)
		}
		return out
	}

	seed := seedFile(t, dir, "seed.json", endpoint.URL)
	mustRun("flow seed: version 1 created", "flows", "apply", "seed", seed)
	mustRun("flow seed: unchanged, version 1", "flows", "apply", "seed", seed)
	mustRun("seed  1", "flows", "list")
	mustRun(`"stepDefinitionId": "generate"`, "flows", "get", "seed", "--version", "1")

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"stepDefinitionId": "a", "type": "fax", "successStatus": "x", "options": {}, "onSuccess": "b"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := run("flows", "apply", "bad", bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errOut, "[unknown_type]") || !strings.Contains(errOut, "[unknown_step]") {
		t.Errorf("flows apply of an invalid flow: err %v, stderr:\n%s\nwant exit 1 and every problem", err, errOut)
	}

	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"id": "o-1", "flow": "seed",
		"customer": {"name": "Ada", "email": "ada@example.com"},
		"items": [{"sku": "RING-7", "quantity": 1, "product": {"template": "ring", "parameters": {"size": 7}}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("order o-1 created: flow seed v1, status Created", "orders", "create", orderFile)
	mustRun("order o-1 exists", "orders", "create", orderFile)
	var got string
	waitUntil(t, 30*time.Second, "the order succeeds", func() bool {
		got = mustRun("Order     o-1", "orders", "get", "o-1")
		return strings.Contains(got, "Status    Success")
	})
	for _, want := range []string{"In progress", "generate", "1-RING-7.stl", "consume#1", "email#1"} {
		if !strings.Contains(got, want) {
			t.Errorf("orders get does not show %q:\n%s", want, got)
		}
	}
	mustRun("o-1", "orders", "list", "--status", "Success")
	if out := mustRun("ID", "orders", "list", "--status", "Created"); strings.Contains(out, "o-1") {
		t.Errorf("orders list --status Created shows the finished order:\n%s", out)
	}
	// Search flags, sent as the query parameters the server checks.
	mustRun("o-1", "orders", "list", "--status", "success", "--customer", "ADA@example.com", "--sku", "RING-7",
		"--flow", "seed", "--version", "1", "--created-after", "2000-01-01T00:00:00Z", "--finished-after", "2000-01-01T00:00:00Z")
	mustRun("o-1", "orders", "list", "--name", "ada", "--instance-status", "COMPLETE")
	for _, args := range [][]string{{"--sku", "MUG"}, {"--email", "bob@example.com"}, {"--meta", "channel:web"}, {"--flow", "seed", "--version", "2"}} {
		if out := mustRun("ID", append([]string{"orders", "list"}, args...)...); strings.Contains(out, "o-1") {
			t.Errorf("orders list %v shows o-1:\n%s", args, out)
		}
	}
	mustRun("o-1", "instances", "list", "--status", "COMPLETE", "--custom-status", "SUCCESS", "--id-prefix", "o-",
		"--attribute", "sku:RING-7", "--created-before", "2999-01-01T00:00:00Z")
	if out := mustRun("ID", "instances", "list", "--id-prefix", "x"); strings.Contains(out, "o-1") {
		t.Errorf("instances list --id-prefix x shows o-1:\n%s", out)
	}
	for param, args := range map[string][]string{
		"createdAfter":   {"orders", "list", "--created-after", "yesterday"},
		"finishedBefore": {"instances", "list", "--finished-before", "soon"},
	} {
		if _, errOut, err := run(args...); err == nil || !strings.Contains(errOut+err.Error(), param) {
			t.Errorf("ordo %v: err %v, stderr %s; want an error naming %s", args, err, errOut, param)
		}
	}

	stl := filepath.Join(dir, "ring.stl")
	if _, errOut, err := run("orders", "file", "o-1", "1-RING-7.stl", "-o", stl); err != nil {
		t.Fatalf("orders file: %v %s", err, errOut)
	}
	f, err := os.Open(stl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if m, err := mesh.ReadSTL(f); err != nil || mesh.Check(m) != nil {
		t.Errorf("downloaded STL: %v", err)
	}

	// A finished order is deleted with its files; then it is gone.
	mustRun("deleted o-1", "orders", "delete", "o-1")
	if _, errOut, err := run("orders", "get", "o-1"); err == nil || !strings.Contains(errOut+err.Error(), "not_found") {
		t.Errorf("orders get after delete: err %v, stderr %s; want not_found", err, errOut)
	}
	if _, errOut, err := run("orders", "file", "o-1", "1-RING-7.stl", "-o", filepath.Join(dir, "gone.stl")); err == nil {
		t.Errorf("orders file after delete succeeded; stderr %s", errOut)
	}
	if _, errOut, err := run("orders", "delete", "o-1"); err == nil || !strings.Contains(errOut+err.Error(), "not_found") {
		t.Errorf("orders delete twice: err %v, stderr %s; want not_found", err, errOut)
	}
}

// TestServeFlowsDirInvalid: an invalid file in --flows stops the server at
// start, naming the file and its problems.
func TestServeFlowsDirInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "broken.json"), []byte(`[{"stepDefinitionId": "a"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--flows", flows, "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "broken.json is not a valid flow") || !strings.Contains(err.Error(), "[missing_field]") {
		t.Errorf("serve with an invalid flow file: %v", err)
	}
	_, _, err = runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--smtp-url", "smtp://127.0.0.1:1", "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "--mail-from") {
		t.Errorf("serve with --smtp-url but no --mail-from: %v", err)
	}
}
