package bulk_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

// TestHTTP drives the bulk routes: a dry run and a job over orders, the
// job's progress and the list, and the errors.
func TestHTTP(t *testing.T) {
	t.Parallel()
	st := newCountingStore(openSQLite(t))
	b := setup(t, st, &bulk.Config{Orders: &order.Service{}})
	srv, err := api.New(api.Config{Engine: b.eng, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	b.svc.Routes(srv)
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(hs.Close)
	shop := seed(t, st, "flow/shop", 40, time.Now().Add(-time.Minute))
	seed(t, st, "flow/other", 10, time.Now().Add(-time.Minute))
	seed(t, st, "plain", 10, time.Now().Add(-time.Minute))

	do := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := do("POST", "/v1/orders/bulk", `{"action": "terminate", "filter": {"flow": "shop", "status": "Created"}, "dryRun": true}`)
	var pv bulk.Preview
	if status != 200 || json.Unmarshal(body, &pv) != nil || pv.Count != 40 || len(pv.Sample) != bulk.SampleSize || pv.Sample[0].ID != shop[39] {
		t.Fatalf("dry run: %d %s", status, body)
	}
	status, body = do("POST", "/v1/instances/bulk", `{"action": "pause", "dryRun": true}`)
	if status != 200 || json.Unmarshal(body, &pv) != nil || pv.Count != 60 {
		t.Fatalf("dry run of every instance: %d %s", status, body)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"action": "explode"}`, "invalid_argument"},
		{`{"action": "pause", "filter": {"stauts": "Failed"}}`, "invalid_argument"},
		{`{"action": "pause", "dryrun": true, "extra": 1}`, "invalid_json"},
	} {
		status, body = do("POST", "/v1/orders/bulk", tc.body)
		if status != 400 || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want 400 %s", tc.body, status, body, tc.code)
		}
	}

	status, body = do("POST", "/v1/orders/bulk", `{"action": "terminate", "filter": {"flow": "shop"}, "reason": "recalled"}`)
	var j bulk.Job
	if status != 202 || json.Unmarshal(body, &j) != nil || j.ID == "" || j.Progress.Total != 40 || j.Source != bulk.SourceOrders {
		t.Fatalf("start: %d %s", status, body)
	}
	deadline := time.Now().Add(time.Minute)
	for !j.Done {
		if time.Now().After(deadline) {
			t.Fatalf("job not done in a minute: %+v", j)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
		status, body = do("GET", "/v1/bulk/"+j.ID, "")
		if status != 200 || json.Unmarshal(body, &j) != nil {
			t.Fatalf("get job: %d %s", status, body)
		}
	}
	if j.Status != store.StatusComplete || j.Progress.Succeeded != 40 || j.Reason != "recalled" || string(j.Filter) != `{"flow":"shop"}` {
		t.Errorf("finished job: %s", body)
	}
	st.checkOnce(t, shop)
	status, body = do("GET", "/v1/bulk", "")
	var page bulk.JobPage
	if status != 200 || json.Unmarshal(body, &page) != nil || len(page.Jobs) != 1 || page.Jobs[0].Progress.Succeeded != 40 {
		t.Errorf("list: %d %s", status, body)
	}
	if status, body = do("GET", "/v1/bulk/"+shop[0], ""); status != 404 {
		t.Errorf("get an order as a job: %d %s", status, body)
	}
}
