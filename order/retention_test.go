package order_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/retention"
)

// withRetention wraps the seed flow (an array of steps) in the object
// form with a retention.
func withRetention(t *testing.T, f *fixture, retention string) []byte {
	t.Helper()
	return []byte(`{"steps": ` + string(seedFlow(t, f.rest.URL+"/anything")) + `, "retention": ` + retention + `}`)
}

// files lists the stored production files of an order.
func (f *fixture) fileNames(id string) []string {
	f.t.Helper()
	infos, err := f.files.List(context.Background(), "orders/"+id+"/")
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, inf := range infos {
		names = append(names, inf.Name)
	}
	return names
}

// TestRetentionOfFlows: a flow's retention field decides how long its
// finished orders stay; retention deletes them with their production
// files, and the orders of other flows, inside the default period, stay
// with theirs.
func TestRetentionOfFlows(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("short", withRetention(t, f, `"10d"`))
	f.apply("forever", withRetention(t, f, `0`))
	f.apply("plain", seedFlow(t, f.rest.URL+"/anything"))
	for _, id := range []string{"s1", "f1", "p1"} {
		flowName := map[string]string{"s1": "short", "f1": "forever", "p1": "plain"}[id]
		f.create(sampleOrder(id, flowName))
		if o := f.finish(id); o.InstanceStatus != ordo.StatusComplete {
			t.Fatalf("order %s ended %s", id, o.InstanceStatus)
		}
		if len(f.fileNames(id)) == 0 {
			t.Fatalf("order %s has no production files", id)
		}
	}
	svc, err := retention.New(retention.Config{Engine: f.env.Engine, Period: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(11 * 24 * time.Hour)
	if p := svc.RunOnce(context.Background()); p.Deleted != 1 || p.Err != nil {
		t.Fatalf("pass at day 11: %+v; want the order of the short flow deleted", p)
	}
	if code, _ := f.do("GET", "/v1/orders/s1", nil); code != http.StatusNotFound {
		t.Errorf("GET the deleted order: %d, want 404", code)
	}
	if names := f.fileNames("s1"); len(names) != 0 {
		t.Errorf("the deleted order's files are still there: %q", names)
	}
	for _, id := range []string{"f1", "p1"} {
		if code, _ := f.do("GET", "/v1/orders/"+id, nil); code != http.StatusOK || len(f.fileNames(id)) == 0 {
			t.Errorf("order %s: GET %d, %d files; want it kept with its files", id, code, len(f.fileNames(id)))
		}
	}
	f.env.Clock.Advance(20 * 24 * time.Hour) // day 31
	if p := svc.RunOnce(context.Background()); p.Deleted != 1 {
		t.Errorf("pass at day 31: %+v; want the plain flow's order deleted", p)
	}
	if len(f.fileNames("p1")) != 0 || len(f.fileNames("f1")) == 0 {
		t.Errorf("at day 31: plain's files %q (want none), forever's %q (want kept)", f.fileNames("p1"), f.fileNames("f1"))
	}
	// A new version without the field hands the flow to the default.
	f.apply("forever", seedFlow(t, f.rest.URL+"/anything"))
	if p := svc.RunOnce(context.Background()); p.Deleted != 1 || len(f.fileNames("f1")) != 0 {
		t.Errorf("after the retention left the flow: pass %+v, files %q", p, f.fileNames("f1"))
	}
}

// TestDeleteOrderRoute: DELETE /v1/orders/{id} deletes a finished order
// with its files (204); an order still running is 409 not_finished and
// keeps everything; an instance that is not an order is 404.
func TestDeleteOrderRoute(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{respond: func(*http.Request, *ordertest.Request) (int, string) { return http.StatusServiceUnavailable, "" }})
	f.apply("seed", seedFlow(t, f.rest.URL+"/anything"))
	f.create(sampleOrder("ord-1", "seed"))
	// The endpoint refuses: the order waits for its next attempt.
	f.env.WaitStatus("ord-1", ordo.StatusWaiting)
	code, body := f.do("DELETE", "/v1/orders/ord-1", nil)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if code != http.StatusConflict || e.Error.Code != "not_finished" {
		t.Fatalf("DELETE a waiting order: %d %s", code, body)
	}
	if len(f.fileNames("ord-1")) == 0 {
		t.Fatal("the refused delete removed the files")
	}
	if _, err := f.env.Engine.Terminate(context.Background(), "ord-1"); err != nil {
		t.Fatal(err)
	}
	if code, body := f.do("DELETE", "/v1/orders/ord-1", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE a terminated order: %d %s", code, body)
	}
	if names := f.fileNames("ord-1"); len(names) != 0 {
		t.Errorf("files after the delete: %q", names)
	}
	if code, _ := f.do("GET", "/v1/orders/ord-1", nil); code != http.StatusNotFound {
		t.Errorf("GET after the delete: %d", code)
	}
}
