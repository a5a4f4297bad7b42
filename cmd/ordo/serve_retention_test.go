package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRetention: `ordo serve --retention 1s` deletes a finished
// order with its production files on disk, and logs it; a bad value is
// refused at start.
func TestServeRetention(t *testing.T) {
	t.Parallel()
	dir, data := t.TempDir(), t.TempDir()
	const flowJSON = `[{"stepDefinitionId":"gen","type":"generate-production-files","successStatus":"Done","options":{"fileFormat":"stl"}}]`
	if err := os.WriteFile(filepath.Join(dir, "files.json"), []byte(flowJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, "--data-dir", data, "--flows", dir, "--retention", "1s")
	body := `{"id":"r-1","flow":"files","customer":{"name":"A","email":"a@example.com"},"items":[{"sku":"R","quantity":1,"product":{"template":"ring","parameters":{"size":8}}}]}`
	resp, err := http.Post(p.URL+"/v1/orders?wait=30s", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"Done"`) {
		t.Fatalf("order: %d %s", resp.StatusCode, b)
	}
	orderDir := filepath.Join(data, "files", "orders", "r-1")
	if entries, err := os.ReadDir(orderDir); err != nil || len(entries) == 0 {
		t.Fatalf("production files on disk: %v, %v", entries, err)
	}
	waitUntil(t, 60*time.Second, "retention deleted the order", func() bool {
		resp, err := http.Get(p.URL + "/v1/orders/r-1")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNotFound
	})
	if _, err := os.Stat(orderDir); !os.IsNotExist(err) {
		t.Errorf("the order's file directory is still there: %v", err)
	}
	waitUntil(t, 10*time.Second, "the deletion is logged", func() bool {
		return strings.Contains(p.logs.String(), "retention: deleted finished instances")
	})
	resp, err = http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nordo_retention_deleted_total 1\n") {
		t.Errorf("/metrics lacks ordo_retention_deleted_total 1:\n%s", grepLines(string(b), "ordo_retention"))
	}
}

func TestServeRetentionFlag(t *testing.T) {
	t.Parallel()
	_, _, err := runCLI(t, "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--retention", "a month")
	if err == nil || !strings.Contains(err.Error(), "--retention") {
		t.Fatalf("serve --retention 'a month': %v", err)
	}
}

// grepLines returns the lines of text that contain sub.
func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
