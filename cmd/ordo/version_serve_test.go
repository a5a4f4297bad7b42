package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// stepLogEnv (ORDO_TEST_STEP_LOG=path) makes `ordo serve` append
// "<instance> <step key>" to path before each step attempt it runs: which
// process ran what, for TestServeVersionsSideBySide.
const stepLogEnv = "ORDO_TEST_STEP_LOG"

// installStepLog wraps testStepInterceptor with the step log of
// stepLogEnv, in the process a test starts as `ordo serve`.
func installStepLog() {
	path := os.Getenv(stepLogEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "step log:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	prev := testStepInterceptor
	testStepInterceptor = func(ctx context.Context, info ordo.StepInfo, next func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
		mu.Lock()
		_, err := fmt.Fprintf(f, "%s %s\n", info.InstanceID, info.Key)
		mu.Unlock()
		if err != nil {
			return nil, err
		}
		if prev != nil {
			return prev(ctx, info, next)
		}
		return next(ctx)
	}
}

// readStepLog returns the instances whose steps the log names.
func readStepLog(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id, _, ok := strings.Cut(sc.Text(), " "); ok {
			out[id]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServeVersionsSideBySide runs two `ordo serve` processes of different
// code versions (--code-version v1 and v2) on one PostgreSQL database, as
// in a rolling deploy: every step of every order runs in a process of the
// version the order's instance records.
//
// Each side first takes orders of its own at a fixed point: v1 runs alone
// until all its slots (--concurrency 6) hold an order whose first step
// the endpoint keeps waiting; then v2 starts and takes the next six. Once
// released, every order's second step fails once and is retried after a
// durable delay, so all twelve are claimed again while both processes are
// idle and compete for them.
func TestServeVersionsSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve processes")
	}
	t.Parallel()
	url, _ := pgtest.Schema(t)
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release)
	var mu sync.Mutex
	failedB := map[string]bool{}
	endpoint := ordertest.StartEndpoint(t, func(r *http.Request, req *ordertest.Request) (int, string) {
		switch req.Path {
		case "/a":
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		case "/b":
			mu.Lock()
			first := !failedB[req.IdempotencyKey]
			failedB[req.IdempotencyKey] = true
			mu.Unlock()
			if first {
				return http.StatusServiceUnavailable, `{}`
			}
		}
		return http.StatusOK, `{}`
	})
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	step := func(id, next string) string {
		s := `{"stepDefinitionId": "` + id + `", "type": "consume-rest-api", "successStatus": "Done ` + id + `",
		 "options": {"uri": "` + endpoint.URL + `/` + id + `"}, "retries": {"limit": 3, "delay": "500ms", "backoff": "constant"}`
		if next != "" {
			s += `, "onSuccess": "` + next + `"`
		}
		return s + `}`
	}
	flow := `{"steps": [` + step("a", "b") + `,` + step("b", "c") + `,` + step("c", "") + `]}`
	if err := os.WriteFile(filepath.Join(flows, "rolling.json"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	create := func(server string, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			file := filepath.Join(dir, fmt.Sprintf("order-%d.json", i))
			body := fmt.Sprintf(`{"id": "r-%02d", "flow": "rolling", "customer": {"name": "Ada", "email": "ada@example.com"},
				"items": [{"sku": "GIFT-CARD", "quantity": 1}]}`, i)
			if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, _, err := runCLI(t, "orders", "create", file, "--server", server); err != nil {
				t.Fatalf("orders create r-%02d: %q, %v", i, out, err)
			}
		}
	}
	start := func(version string) *serveProcess {
		return startServeEnv(t, []string{stepLogEnv + "=" + filepath.Join(dir, version+".log")},
			"--postgres", url, "--flows", flows, "--signing-secret", "s3cret", "--lease-duration", "2s",
			"--concurrency", "6", "--code-version", version)
	}

	v1 := start("v1")
	create(v1.URL, 0, 6)
	endpoint.WaitRequests(t, 6, 2*time.Minute) // v1's six slots hold an order each
	v2 := start("v2")
	create(v2.URL, 6, 12)
	endpoint.WaitRequests(t, 12, 2*time.Minute) // v1 is full: v2 took these
	release()

	st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var page *store.InstancePage
	waitUntil(t, 3*time.Minute, "every order's instance completes", func() bool {
		page, err = st.InstanceList(t.Context(), &store.InstanceListParams{Status: store.StatusComplete, Limit: 100})
		return err == nil && len(page.Instances) == 12
	})
	for _, p := range []*serveProcess{v1, v2} {
		if err := p.stop(); err != nil {
			t.Errorf("graceful stop: %v", err)
		}
	}
	ran := map[string]map[string]int{"v1": readStepLog(t, filepath.Join(dir, "v1.log")), "v2": readStepLog(t, filepath.Join(dir, "v2.log"))}
	versions := map[string]int{}
	for _, in := range page.Instances {
		versions[in.Version]++
		for v, steps := range ran {
			if v != in.Version && steps[in.ID] > 0 {
				t.Errorf("%s of version %q: %d step attempts ran in the %s process", in.ID, in.Version, steps[in.ID], v)
			}
		}
		if ran[in.Version][in.ID] < 4 { // a, b (failed), b, c
			t.Errorf("%s of version %q: %d step attempts ran in its process, want 4", in.ID, in.Version, ran[in.Version][in.ID])
		}
	}
	if versions["v1"] != 6 || versions["v2"] != 6 {
		t.Errorf("instances by version %v, want six of each", versions)
	}
}
