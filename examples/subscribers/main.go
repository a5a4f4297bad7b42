// Command subscribers is seed 001 ("workflows") on Ordo: named steps, each
// with its roll-back, composed into the product-count workflow; the steps
// resolve the shop's services from a small container; and the workflow is
// started the seed's three ways:
//
//	curl 'localhost:8082/workflow?name=Ada'         an API route that runs it and answers its result
//	curl -X POST localhost:8082/v1/events -H 'Content-Type: application/json' \
//	     -d '{"id": "evt-1", "type": "order.placed", "payload": {"id": "order_1"}}'
//	                                                a subscriber to order.placed, once per event id
//	(every hour)                                    a scheduled job, once per hour across all workers
//
// Run it with:
//
//	go run ./examples/subscribers
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	dataDir := flag.String("data-dir", "./subscribers-data", "directory for the Ordo and shop databases")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *addr, *dataDir)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "subscribers:", err)
		os.Exit(1)
	}
}

// App is the program's engine, scheduler and HTTP handler, built on an
// Ordo store and a shop container.
type App struct {
	Engine    *ordo.Engine
	Scheduler *schedule.Scheduler
	Workflow  *ordo.Workflow[Input, Output]
	// Container holds the services the steps resolve.
	Container *Container
	Handler   http.Handler
}

// NewApp registers the workflow (with its order.placed subscriber) on
// engine, declares the scheduled job and mounts Ordo's API next to the
// seed's /workflow route. It starts nothing.
func NewApp(ctx context.Context, engine *ordo.Engine, c *Container) (*App, error) {
	wf := NewWorkflow(c)
	if err := engine.Register(wf, NewExportWorkflow(c)); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	sch, err := schedule.New(schedule.Config{Engine: engine})
	if err != nil {
		return nil, err
	}
	if err := sch.Declare(ctx, Schedule()); err != nil {
		return nil, fmt.Errorf("declare schedule: %w", err)
	}
	srv, err := api.New(api.Config{Engine: engine})
	if err != nil {
		return nil, err
	}
	srv.ScheduleRoutes(sch)
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv)
	mux.Handle("GET /workflow", runHandler(engine, wf))
	return &App{Engine: engine, Scheduler: sch, Workflow: wf, Container: c, Handler: mux}, nil
}

func run(ctx context.Context, addr, dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, "ordo.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	shop, err := OpenShop(ctx, filepath.Join(dataDir, "shop.db"))
	if err != nil {
		return err
	}
	defer shop.Close()
	engine, err := ordo.NewEngine(ordo.Config{Store: st})
	if err != nil {
		return err
	}
	app, err := NewApp(ctx, engine, NewShopContainer(shop, LogNotifier{Log: slog.Default()}))
	if err != nil {
		return err
	}
	if err := engine.Start(ctx); err != nil {
		return err
	}
	if err := app.Scheduler.Start(ctx); err != nil {
		return err
	}
	hs := &http.Server{Addr: addr, Handler: app.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = hs.Shutdown(context.Background()) }()
	slog.Info("subscribers: listening", "addr", addr)
	if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(app.Scheduler.Stop(sctx), engine.Stop(sctx))
}

// maxName bounds the /workflow route's name parameter.
const maxName = 100

// runHandler is the seed's API route: run the workflow for ?name= and
// answer its result (as Medusa's workflow.run does), or the instance if it
// has not finished within 30 s.
func runHandler(e *ordo.Engine, wf *ordo.Workflow[Input, Output]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "world"
		}
		if len(name) > maxName {
			api.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("name must be at most %d bytes", maxName)})
			return
		}
		inst, err := wf.Create(r.Context(), e, Input{Name: name, Trigger: "api"}, nil)
		if err != nil {
			api.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		final, err := e.Wait(ctx, inst.ID)
		if err != nil {
			api.WriteJSON(w, http.StatusAccepted, map[string]any{"id": inst.ID, "status": inst.Status})
			return
		}
		if final.Status != ordo.StatusComplete {
			api.WriteJSON(w, http.StatusConflict, map[string]any{"id": final.ID, "status": final.Status, "error": final.Error})
			return
		}
		out, err := wf.Output(final)
		if err != nil {
			api.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		api.WriteJSON(w, http.StatusOK, map[string]any{"id": final.ID, "result": out})
	})
}
