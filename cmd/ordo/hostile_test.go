package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestHostileRequestsUnderMemoryCeiling sends the requests that used to
// crash or break the server (deep JSON, a poison instance in an order
// flow, a template that allocates gigabytes, a vase at its documented
// maximum, a huge order) to a real `ordo serve` whose Go heap is capped
// (GOMEMLIMIT), and checks each answer is a 4xx, the server still answers
// afterwards, orders still list, and the process's peak resident memory
// stayed far below what the inputs used to ask for.
func TestHostileRequestsUnderMemoryCeiling(t *testing.T) {
	t.Setenv("ORDO_API_KEY", testKey)
	t.Setenv("GOMEMLIMIT", "256MiB")
	p := startServe(t, "--data-dir", t.TempDir(), "--flows", "../../examples/orderflow")
	send := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, p.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b)
	}
	order := func(id, items string) string {
		return `{"id":"` + id + `","flow":"local","customer":{"name":"A","email":"a@example.com"},"items":[` + items + `]}`
	}
	vase := `{"sku":"V","quantity":1,"product":{"template":"vase","parameters":{"segments":8192,"layers":8192}}}`
	many := strings.TrimSuffix(strings.Repeat(`{"sku":"R","quantity":1,"product":{"template":"ring","parameters":{"size":8}}},`, 10000), ",")
	deep := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
	for _, tc := range []struct {
		name, method, path, body string
		want                     string // in the answer
	}{
		{"metadata nested 9000 levels", "POST", "/v1/orders",
			`{"id":"deep","flow":"local","customer":{"name":"A","email":"a@example.com"},"metadata":` + deep + `,"items":[]}`, "json_too_deep"},
		{"params nested 9000 levels", "POST", "/v1/workflows/flow%2Flocal/instances", `{"params":` + deep + `}`, "json_too_deep"},
		{"poison instance in an order flow", "POST", "/v1/workflows/flow%2Flocal/instances", `{"id":"poison","params":{"x":1}}`, "/v1/orders"},
		{"vase at its documented maximum", "POST", "/v1/orders", order("vase", vase), "items[0]"},
		{"10,000 items", "POST", "/v1/orders", order("many", many), "items"},
		{"e-mail template that allocates gigabytes", "PUT", "/v1/flows/boom",
			`[{"stepDefinitionId":"mail","type":"send-email","successStatus":"Sent","options":{"recipients":["a@example.com"],` +
				`"subject":"s","message":"{{range 5000}}{{printf \"%0999999d\" 0}}{{end}}"}}]`, "message"},
		{"id outside the character set", "POST", "/v1/orders", order("a/b", ""), "order id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A dozen at once: memory must stay bounded under concurrency too.
			var wg sync.WaitGroup
			codes := make([]int, 12)
			bodies := make([]string, 12)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i], bodies[i] = send(tc.method, tc.path, tc.body)
				}()
			}
			wg.Wait()
			for i, c := range codes {
				if c < 400 || c >= 500 || !strings.Contains(bodies[i], tc.want) {
					t.Errorf("answer %d: %d %.300s, want a 4xx naming %q", i, c, bodies[i], tc.want)
				}
			}
		})
	}
	if c, b := send("GET", "/healthz", ""); c != http.StatusOK {
		t.Fatalf("GET /healthz after the hostile requests: %d %s", c, b)
	}
	if c, b := send("GET", "/v1/orders", ""); c != http.StatusOK {
		t.Fatalf("GET /v1/orders after the hostile requests: %d %s", c, b)
	}
	// A legitimate order is still accepted.
	ring := `{"sku":"R","quantity":1,"product":{"template":"ring","parameters":{"size":8}}}`
	if c, b := send("POST", "/v1/orders", order("fine", ring)); c != http.StatusCreated {
		t.Fatalf("a normal order after the hostile requests: %d %s", c, b)
	}
	if hwm := peakRSS(t, p.cmd.Process.Pid); hwm > 600<<20 {
		t.Errorf("peak resident memory of ordo serve: %d MiB, want well under 600 MiB", hwm>>20)
	} else {
		t.Logf("peak resident memory of ordo serve: %d MiB", hwm>>20)
	}
}

// peakRSS returns a process's peak resident set size (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(rest))
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
