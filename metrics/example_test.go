package metrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/store/memory"
)

// An engine reporting to Prometheus metrics, served by Handler.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	m := metrics.New(&metrics.Options{Logger: log})
	st := memory.New()
	engine, _ := ordo.NewEngine(ordo.Config{Store: st, Logger: log, Observer: m})
	m.WatchStore(st)
	wf := ordo.NewWorkflow("greet", func(ctx context.Context, name string) (string, error) {
		return ordo.Do(ctx, "compose", nil, func(context.Context) (string, error) { return "hello " + name, nil })
	})
	_ = engine.Register(wf)
	_ = engine.Start(ctx)
	defer func() { _ = engine.Stop(ctx) }()
	inst, _ := wf.Create(ctx, engine, "Ann", nil)
	_, _ = engine.Wait(ctx, inst.ID)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "ordo_step_attempts_total") || strings.HasPrefix(line, "ordo_instances_started_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// ordo_instances_started_total{workflow="greet"} 1
	// ordo_step_attempts_total{outcome="success",step="compose",workflow="greet"} 1
}
