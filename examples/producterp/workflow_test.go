package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// fakeERP is an ERP server that stores records and can refuse updates.
type fakeERP struct {
	mu      sync.Mutex
	records map[string]ERPData
	refuse  bool
	puts    int
	url     string
}

func (f *fakeERP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := strings.TrimPrefix(r.URL.Path, "/products/")
	switch r.Method {
	case http.MethodGet:
		_ = json.NewEncoder(w).Encode(f.records[id])
	case http.MethodPut:
		f.puts++
		if f.refuse {
			http.Error(w, `{"error":"price below cost"}`, http.StatusUnprocessableEntity)
			return
		}
		var d ERPData
		_ = json.NewDecoder(r.Body).Decode(&d)
		f.records[id] = d
		_ = json.NewEncoder(w).Encode(d)
	}
}

func setup(t *testing.T) (*Products, *fakeERP, *ordotest.Env, *ordo.Workflow[UpdateInput, Output], *httptest.Server) {
	t.Helper()
	db, err := OpenProducts(context.Background(), filepath.Join(t.TempDir(), "products.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`INSERT INTO product (id, title, description, price) VALUES ('prod_1', 'Mug', 'A mug', 9.5)`); err != nil {
		t.Fatal(err)
	}
	erp := &fakeERP{records: map[string]ERPData{"prod_1": {"title": "Mug", "price": 9.5, "sku": "MUG-1"}}}
	es := httptest.NewServer(erp)
	t.Cleanup(es.Close)
	erp.url = es.URL
	products := &Products{DB: db}
	env := ordotest.New(t, nil)
	wf := NewWorkflow(products, &HTTPERP{Base: es.URL})
	env.Register(wf)
	srv, err := api.New(api.Config{Engine: env.Engine})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("POST /store/products/{id}/erp", routeHandler(env.Engine, wf))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return products, erp, env, wf, hs
}

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestUpdateProductAndERP(t *testing.T) {
	products, erp, _, _, hs := setup(t)
	status, out := post(t, hs.URL+"/store/products/prod_1/erp", `{"title": "Big mug", "price": 12}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, out)
	}
	p, _ := products.Retrieve(context.Background(), "prod_1")
	if p.Title != "Big mug" || p.Price != 12 || p.Description != "A mug" {
		t.Fatalf("product = %+v", p)
	}
	if erp.records["prod_1"]["title"] != "Big mug" {
		t.Fatalf("erp = %v", erp.records)
	}
}

func TestERPFailureRestoresProduct(t *testing.T) {
	products, erp, env, _, hs := setup(t)
	erp.refuse = true
	status, out := post(t, hs.URL+"/store/products/prod_1/erp", `{"title": "Cheap mug", "price": 1}`)
	if status != http.StatusConflict {
		t.Fatalf("status %d: %v", status, out)
	}
	// The product's compensation put the previous data back.
	p, _ := products.Retrieve(context.Background(), "prod_1")
	if p != (Product{ID: "prod_1", Title: "Mug", Description: "A mug", Price: 9.5}) {
		t.Fatalf("product not restored: %+v", p)
	}
	if erp.puts != 1 || erp.records["prod_1"]["title"] != "Mug" {
		t.Fatalf("erp puts %d records %v", erp.puts, erp.records)
	}
	page, _ := env.Engine.List(context.Background(), nil)
	inst, _ := env.Engine.Get(context.Background(), page.Instances[0].ID)
	if inst.Status != ordo.StatusErrored || inst.Steps[0].CompensationStatus != store.CompCompleted || inst.Steps[1].Status != store.StepFailed {
		t.Fatalf("instance = %s, steps %+v %+v", inst.Status, inst.Steps[0], inst.Steps[1])
	}
}

func TestLaterFailureUndoesBothInReverse(t *testing.T) {
	products, erp, env, _, _ := setup(t)
	// A third step that fails after both updates: both compensations run, ERP first.
	wf := ordo.NewWorkflow("update-then-publish", func(ctx context.Context, in UpdateInput) (Output, error) {
		out, err := UpdateProductAndERP(products, &HTTPERP{Base: erp.url})(ctx, in)
		if err != nil {
			return out, err
		}
		_, err = ordo.Do(ctx, "publish", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (bool, error) {
			return false, ordo.NonRetryable(errFeedDown)
		})
		return out, err
	})
	title := "Renamed"
	_, inst, err := ordotest.Run(env, wf, UpdateInput{ID: "prod_1", Title: &title})
	if err == nil {
		t.Fatal("want failure")
	}
	p, _ := products.Retrieve(context.Background(), "prod_1")
	if p.Title != "Mug" || erp.records["prod_1"]["title"] != "Mug" {
		t.Fatalf("not restored: product %+v erp %v", p, erp.records)
	}
	if inst.Steps[0].CompensationStatus != store.CompCompleted || inst.Steps[1].CompensationStatus != store.CompCompleted {
		t.Fatalf("compensations: %q %q", inst.Steps[0].CompensationStatus, inst.Steps[1].CompensationStatus)
	}
}

var errFeedDown = errors.New("product feed is down")
