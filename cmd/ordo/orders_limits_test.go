package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitsFlow generates the production files as binary STL, then stops.
const limitsFlow = `[{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "Files ready",
	"options": {"fileFormat": "stl"}, "retries": {"limit": 0}}]`

// gcHeap matches the heap sizes of a GODEBUG=gctrace=1 line: at the start
// of the cycle, at its end, and live, in MB.
var gcHeap = regexp.MustCompile(`^gc \d+ .* (\d+)->(\d+)->(\d+) MB`)

// gcPeak returns the number of gctrace lines in logs and the largest heap
// they report after the first skip lines, in MB.
func gcPeak(logs string, skip int) (lines, peakMB int) {
	for _, l := range strings.Split(logs, "\n") {
		m := gcHeap.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if lines++; lines <= skip {
			continue
		}
		for _, s := range m[1:3] {
			n, _ := strconv.Atoi(s)
			peakMB = max(peakMB, n)
		}
	}
	return lines, peakMB
}

// orderJSON is an order document of flow "limits" with the given items,
// each a JSON object.
func orderJSON(id string, items ...string) string {
	return `{"id": "` + id + `", "flow": "limits", "customer": {"name": "Ada", "email": "ada@example.com"}, "items": [` +
		strings.Join(items, ",") + `]}`
}

// ringItem is a small item: a 656,084-byte binary STL.
func ringItem(i int) string {
	return `{"sku": "R-` + strconv.Itoa(i) + `", "quantity": 1, "product": {"template": "ring", "parameters": {"size": 7}}}`
}

// request sends method to the server with a JSON body (or none) and
// returns the status and the body.
func request(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// orderState is what these tests read of GET /v1/orders/{id}.
type orderState struct {
	Status         string `json:"status"`
	InstanceStatus string `json:"instanceStatus"`
	Files          []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	} `json:"files"`
}

// waitOrder waits until the order's flow has ended and returns it.
func waitOrder(t *testing.T, base, id string, timeout time.Duration) orderState {
	t.Helper()
	var o orderState
	waitUntil(t, timeout, "order "+id+" ends", func() bool {
		status, raw := request(t, "GET", base+"/v1/orders/"+id, "")
		if status != http.StatusOK {
			t.Fatalf("GET order %s: %d %s", id, status, raw)
		}
		o = orderState{}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		return o.InstanceStatus == "complete" || o.InstanceStatus == "errored"
	})
	return o
}

// TestHostileOrdersUnderMemoryCeiling sends the orders that exhausted
// memory or disk before the production budget existed to a real `ordo
// serve` with a memory ceiling (GOMEMLIMIT, heap read from its GC trace):
// a vase at its documented maximum (3.2 GB), one ~120-byte item making a
// 800 MB STL, a 10,000-item order, and 1000 items over the order's file
// budget. Each is answered 400 invalid_order naming the item, before
// anything is allocated or written; the server keeps answering /healthz,
// the orders before and after are untouched and complete, and the largest
// item the budget allows is produced within the ceiling.
func TestHostileOrdersUnderMemoryCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve and produces a 100 MB file")
	}
	t.Parallel()
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(flows, "limits.json"), []byte(limitsFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	const ceilingMB = 256
	p := startServeEnv(t, []string{fmt.Sprintf("GOMEMLIMIT=%dMiB", ceilingMB), "GODEBUG=gctrace=1"},
		"--data-dir", data, "--flows", flows)
	healthy := func(after string) {
		t.Helper()
		if status, raw := request(t, "GET", p.URL+"/healthz", ""); status != http.StatusOK {
			t.Fatalf("/healthz after %s: %d %s", after, status, raw)
		}
	}

	if status, raw := request(t, "POST", p.URL+"/v1/orders", orderJSON("before", ringItem(0))); status != http.StatusCreated {
		t.Fatalf("create the order before: %d %s", status, raw)
	}
	if o := waitOrder(t, p.URL, "before", 2*time.Minute); o.Status != "Files ready" || len(o.Files) != 1 {
		t.Fatalf("the order before: %+v", o)
	}

	rings := make([]string, 10_000)
	for i := range rings {
		rings[i] = ringItem(i)
	}
	smallHuge := `{"sku": "V", "quantity": 1, "product": {"template": "vase", "parameters": {"segments": 8192, "layers": 512}}}`
	if len(smallHuge) > 130 {
		t.Fatalf("the small item is %d bytes", len(smallHuge))
	}
	skip, _ := gcPeak(p.logs.String(), 0)
	for _, tc := range []struct {
		name, id, body, field, msg string
	}{
		{"vase at its documented maximum", "max-vase",
			orderJSON("max-vase", `{"sku": "V", "quantity": 1, "product": {"template": "vase", "parameters": {"segments": 8192, "layers": 8192}}}`),
			"items[0].product", "makes 268468224 triangles, more than the 2000000 allowed per item"},
		{"one small item, a huge STL", "small-huge", orderJSON("small-huge", ringItem(0), smallHuge),
			"items[1].product", "makes 16809984 triangles"},
		{"10,000 items", "ten-thousand", orderJSON("ten-thousand", rings...),
			"items", "holds 10000 items, more than the 1000 an order may hold"},
		{"1000 items over the file budget", "thousand", orderJSON("thousand", rings[:1000]...),
			"items[319].product", "would reach 209946880 bytes with this item's 656084, more than the 209715200 allowed per order"},
	} {
		status, raw := request(t, "POST", p.URL+"/v1/orders", tc.body)
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Details []struct {
					Field   string `json:"field"`
					Message string `json:"message"`
				} `json:"details"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		if status != http.StatusBadRequest || e.Error.Code != "invalid_order" || len(e.Error.Details) == 0 ||
			e.Error.Details[0].Field != tc.field || !strings.Contains(e.Error.Details[0].Message, tc.msg) {
			t.Errorf("%s: %d %.600s; want 400 invalid_order on %s saying %q", tc.name, status, raw, tc.field, tc.msg)
		}
		healthy(tc.name)
		if status, _ := request(t, "GET", p.URL+"/v1/orders/"+tc.id, ""); status != http.StatusNotFound {
			t.Errorf("%s: the refused order answers %d, want 404", tc.name, status)
		}
		if _, err := os.Stat(filepath.Join(data, "files", "orders", tc.id)); !os.IsNotExist(err) {
			t.Errorf("%s: files written for a refused order (%v)", tc.name, err)
		}
	}
	if _, peak := gcPeak(p.logs.String(), skip); peak > 64 {
		t.Errorf("the heap reached %d MB while refusing the orders; they must be refused before allocating", peak)
	}

	// Nothing else lost: the order before is as it was, and the largest
	// item the budget allows (4 × 2048 × 244 = 1,998,848 triangles) is
	// produced under the ceiling.
	if o := waitOrder(t, p.URL, "before", time.Minute); o.Status != "Files ready" || len(o.Files) != 1 || o.Files[0].Size != 656084 {
		t.Errorf("the order before, after the hostile ones: %+v", o)
	}
	skip, _ = gcPeak(p.logs.String(), 0)
	big := orderJSON("largest", `{"sku": "V", "quantity": 1, "product": {"template": "vase", "parameters": {"segments": 2048, "layers": 243}}}`)
	if status, raw := request(t, "POST", p.URL+"/v1/orders", big); status != http.StatusCreated {
		t.Fatalf("create the largest allowed item: %d %s", status, raw)
	}
	o := waitOrder(t, p.URL, "largest", 10*time.Minute)
	if o.Status != "Files ready" || len(o.Files) != 1 || o.Files[0].Size != 84+50*1_998_848 {
		t.Fatalf("the largest allowed item: %+v", o)
	}
	healthy("the largest allowed item")
	_, peak := gcPeak(p.logs.String(), skip)
	rss := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("largest allowed item (1,998,848 triangles, %d-byte STL): peak heap %d MB under GOMEMLIMIT=%dMiB, peak RSS %d MiB (race detector: %v)",
		o.Files[0].Size, peak, ceilingMB, rss>>20, raceEnabled)
	if peak >= ceilingMB {
		t.Errorf("the heap reached %d MB producing the largest allowed item, at or over the %d MiB ceiling", peak, ceilingMB)
	}
	if !raceEnabled && rss > 400<<20 {
		t.Errorf("peak RSS %d MiB producing the largest allowed item", rss>>20)
	}
}
