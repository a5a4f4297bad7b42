package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// flowsDirFlow is a one-step flow whose subject names its variant, so
// that each variant is its own content.
func flowsDirFlow(variant string) string {
	return `[{"stepDefinitionId": "email", "type": "send-email", "successStatus": "Done",
	  "options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "` + variant + `", "message": "Thank you."}}]`
}

// TestServeFlowsDirRestarts starts ordo serve --flows again and again on
// the same database, SQLite and PostgreSQL: a version applied through the
// API survives restarts with a warning, a changed file becomes a new
// version, --flows-override makes the file win, and an unchanged file
// adds nothing.
func TestServeFlowsDirRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve processes")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testServeFlowsDirRestarts(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url, _ := pgtest.Schema(t)
		testServeFlowsDirRestarts(t, "--postgres", url, "--data-dir", filepath.Join(t.TempDir(), "unused"))
	})
}

func testServeFlowsDirRestarts(t *testing.T, storage ...string) {
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	file := filepath.Join(flows, "demo.json")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFlow := func(variant string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(flowsDirFlow(variant)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	apiFile := filepath.Join(dir, "api.json")
	if err := os.WriteFile(apiFile, []byte(flowsDirFlow("from the API")), 0o644); err != nil {
		t.Fatal(err)
	}
	// serve starts ordo serve, checks the latest version of flow demo and
	// its source, stops the server and returns its log.
	serve := func(wantVersion int, wantSource string, extra ...string) string {
		t.Helper()
		p := startServe(t, append(append([]string{"--flows", flows}, storage...), extra...)...)
		v := getFlowVersion(t, p.URL, "demo")
		if v.Version != wantVersion || v.Source != wantSource {
			t.Errorf("after start with %v: latest version %d from %q, want %d from %q\n%s",
				extra, v.Version, v.Source, wantVersion, wantSource, p.logs.String())
		}
		if err := p.stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		return p.logs.String()
	}
	fileSource := store.FileSource(file)

	writeFlow("v1")
	serve(1, fileSource)

	// v2 through the API, then a restart with the file as it was.
	p := startServe(t, append([]string{"--flows", flows}, storage...)...)
	if out, errOut, err := runCLI(t, "flows", "apply", "demo", apiFile, "--server", p.URL); err != nil || !strings.Contains(out, "version 2 created") {
		t.Fatalf("flows apply: %q %q %v", out, errOut, err)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	logs := serve(2, store.FlowSourceAPI)
	wantLog(t, logs, "level=WARN", "flow file not applied", "kept_version=2", "kept_source=api", `file_version="version 1"`, "--flows-override")
	serve(2, store.FlowSourceAPI) // kept however often it starts

	// --flows-override: the file wins as a new version, with a warning.
	logs = serve(3, fileSource, "--flows-override")
	wantLog(t, logs, "level=WARN", "--flows-override", "version=3", "replaced_version=2", "replaced_source=api")

	// Unchanged file: no new version.
	logs = serve(3, fileSource)
	wantLog(t, logs, "flow file unchanged", "version=3")

	// Changed file: a new version.
	writeFlow("v4")
	logs = serve(4, fileSource)
	wantLog(t, logs, "flow file changed: applied", "version=4", "previous_version=3")

	// A file changed after an API version is applied too: the edit is the
	// operator's newer word.
	p = startServe(t, append([]string{"--flows", flows}, storage...)...)
	if _, errOut, err := runCLI(t, "flows", "apply", "demo", apiFile, "--server", p.URL); err != nil {
		t.Fatalf("flows apply: %q %v", errOut, err)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	writeFlow("v6")
	logs = serve(6, fileSource)
	wantLog(t, logs, "level=WARN", "applied over a version from elsewhere", "version=6", "replaced_version=5")
}

// getFlowVersion reads the latest version of a flow through the API.
func getFlowVersion(t *testing.T, base, name string) *store.FlowVersion {
	t.Helper()
	resp, err := http.Get(base + "/v1/flows/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/flows/%s: %s", name, resp.Status)
	}
	var v store.FlowVersion
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// wantLog checks that one line of logs holds every part.
func wantLog(t *testing.T, logs string, parts ...string) {
	t.Helper()
	for line := range strings.SplitSeq(logs, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no log line holds all of %q:\n%s", parts, logs)
}
