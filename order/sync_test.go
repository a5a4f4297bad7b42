package order_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store/memory"
)

// TestSyncRegistersFlowsOfOtherProcesses: two processes share a store; a
// flow applied through the first (API only, engine not started) is picked
// up by the second's sync loop, whose engine then runs the order.
func TestSyncRegistersFlowsOfOtherProcesses(t *testing.T) {
	t.Parallel()
	st := memory.New()
	files, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	endpoint := ordertest.StartEndpoint(t, nil)
	log := slog.New(slog.DiscardHandler)
	newService := func(pollInterval time.Duration) (*ordo.Engine, *order.Service) {
		e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: log, PollInterval: pollInterval})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := order.New(order.Config{Engine: e, Store: st, Artifacts: files, Logger: log, SyncInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return e, svc
	}
	apiEngine, apiSvc := newService(0)
	worker, workerSvc := newService(10 * time.Millisecond)
	ctx := context.Background()
	if err := workerSvc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = workerSvc.Stop(sctx)
		_ = workerSvc.Stop(sctx) // twice is fine
		_ = worker.Stop(sctx)
		_ = apiEngine.Stop(sctx) // never started, but its committer runs
	})

	if _, _, _, err := apiSvc.ApplyFlow(ctx, "later", []byte(`[{"stepDefinitionId": "post", "type": "consume-rest-api",
		"successStatus": "Posted", "options": {"uri": "`+endpoint.URL+`"}}]`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := apiSvc.CreateOrder(ctx, sampleOrder("synced", "later")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the worker process to finish the order", func() bool {
		o, err := apiSvc.GetOrder(ctx, "synced")
		if err != nil {
			t.Fatal(err)
		}
		return o.Status == "Posted" && o.InstanceStatus == ordo.StatusComplete
	})
	if n := len(endpoint.Requests()); n != 1 {
		t.Errorf("endpoint got %d POSTs, want 1", n)
	}
}
