package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeLogFormatJSON starts a real ordo serve with --log-format json:
// every stderr line, from the start to the graceful stop, is a JSON
// object, and /readyz answers ready while it runs.
func TestServeLogFormatJSON(t *testing.T) {
	p := startServe(t, "--data-dir", t.TempDir(), "--log-format", "json")
	resp, err := http.Get(p.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"status":"ready"`) {
		t.Fatalf("GET /readyz: %d %s", resp.StatusCode, b)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	logs := strings.TrimSpace(p.logs.String())
	lines := strings.Split(logs, "\n")
	if len(lines) < 3 {
		t.Fatalf("want the start, serving and stop lines, got:\n%s", logs)
	}
	for _, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("stderr line is not a JSON object: %v\n%s", err, line)
		}
		if obj["msg"] == nil || obj["level"] == nil || obj["time"] == nil {
			t.Errorf("JSON log line without time, level and msg: %s", line)
		}
	}
	if !strings.Contains(logs, `"msg":"ordo: engine stopped"`) {
		t.Errorf("no engine stopped line:\n%s", logs)
	}
}

// TestServeLogFormatBad: an unknown --log-format is a usage error (exit 2)
// naming the flag, before anything opens.
func TestServeLogFormatBad(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-format", "xml")
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(err.Error(), "--log-format") {
		t.Fatalf("serve --log-format xml: %v, want exit 2 naming --log-format", err)
	}
}
