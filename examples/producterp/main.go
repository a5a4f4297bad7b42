// Command producterp is seed 003 on Ordo: a two-step workflow that updates
// a product locally and in an external ERP, each step with a compensation
// that restores the previous data if a later step fails, run from an API
// route:
//
//	POST /store/products/{id}/erp   {"title": "...", "price": 12}
//
// The route runs the workflow to the end and answers with its result (or
// the error, after the compensations ran).
package main

import (
	"context"
	"database/sql"
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
	"github.com/ordohq/ordo/store/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	dataDir := flag.String("data-dir", "./producterp-data", "directory for the Ordo and product databases")
	erpURL := flag.String("erp-url", "http://127.0.0.1:9001", "ERP base URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *addr, *dataDir, *erpURL)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "producterp:", err)
		os.Exit(1)
	}
}

// OpenProducts opens (and creates) the product database.
func OpenProducts(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS product (
		id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', price REAL NOT NULL DEFAULT 0)`); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func run(ctx context.Context, addr, dataDir, erpURL string) error {
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
	db, err := OpenProducts(ctx, filepath.Join(dataDir, "products.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	engine, err := ordo.NewEngine(ordo.Config{Store: st})
	if err != nil {
		return err
	}
	wf := NewWorkflow(&Products{DB: db}, &HTTPERP{Base: erpURL})
	if err := engine.Register(wf); err != nil {
		return err
	}
	srv, err := api.New(api.Config{Engine: engine})
	if err != nil {
		return err
	}
	srv.Handle("POST /store/products/{id}/erp", routeHandler(engine, wf))
	if err := engine.Start(ctx); err != nil {
		return err
	}
	hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = hs.Shutdown(context.Background()) }()
	slog.Info("producterp: listening", "addr", addr)
	if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return engine.Stop(sctx)
}

// routeHandler is the seed's POST /store/products/[id]/erp route.
func routeHandler(e *ordo.Engine, wf *ordo.Workflow[UpdateInput, Output]) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in UpdateInput
		if err := api.DecodeJSON(r, &in, false); err != nil {
			return err
		}
		in.ID = r.PathValue("id")
		inst, err := wf.Create(r.Context(), e, in, nil)
		if err != nil {
			return err
		}
		final, err := e.Wait(r.Context(), inst.ID)
		if err != nil {
			return err
		}
		if final.Status != ordo.StatusComplete {
			return api.Errorf(http.StatusConflict, "workflow_failed", "update of product %s failed and was rolled back: %s", in.ID, final.Error.Message)
		}
		out, err := wf.Output(final)
		if err != nil {
			return err
		}
		api.WriteJSON(w, http.StatusOK, out)
		return nil
	}
}
