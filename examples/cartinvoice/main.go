// Command cartinvoice is seed 000 ("pay cart and send invoice") on Ordo: a
// workflow that waits for a cart to be checked out, charges it at a payment
// processor and e-mails the invoice, with the seed's retries and timeouts,
// served with Ordo's HTTP API plus the seed's two little routes:
//
//	GET /new?cartId=123        start an instance for a cart
//	GET /?instanceId=ID        the instance's status
//
// and, as the seed says ("triggered every time a shopping cart is
// created"), every published cart.created event starts one:
//
//	curl -X POST localhost:8081/v1/events -H 'Content-Type: application/json' \
//	     -d '{"id": "cart-123", "type": "cart.created", "payload": {"cartId": "123"}}'
//
// Run it next to a payment endpoint and an SMTP server:
//
//	go run ./examples/cartinvoice --payment-url http://127.0.0.1:9000/pay --smtp-url smtp://127.0.0.1:2525?tls=none
package main

import (
	"context"
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
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	dataDir := flag.String("data-dir", "./cartinvoice-data", "directory for the Ordo and cart databases")
	paymentURL := flag.String("payment-url", "http://127.0.0.1:9000/pay", "payment processor endpoint")
	smtpURL := flag.String("smtp-url", "smtp://127.0.0.1:2525?tls=none", "SMTP server")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *addr, *dataDir, *paymentURL, *smtpURL)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cartinvoice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, dataDir, paymentURL, smtpURL string) error {
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
	carts, err := OpenCarts(ctx, filepath.Join(dataDir, "carts.db"))
	if err != nil {
		return err
	}
	defer carts.Close()
	mailer, err := email.New(email.Config{URL: smtpURL, From: "Pet shop <merchant@example.com>"})
	if err != nil {
		return err
	}
	engine, err := ordo.NewEngine(ordo.Config{Store: st})
	if err != nil {
		return err
	}
	wf := NewWorkflow(&Deps{Carts: carts, PaymentURL: paymentURL, Payments: &rest.Client{}, Mailer: mailer})
	if err := engine.Register(wf); err != nil {
		return err
	}
	srv, err := api.New(api.Config{Engine: engine})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv)
	mux.Handle("/new", newHandler(engine, wf))
	mux.Handle("/{$}", statusHandler(engine))
	if err := engine.Start(ctx); err != nil {
		return err
	}
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = hs.Shutdown(context.Background()) }()
	slog.Info("cartinvoice: listening", "addr", addr)
	if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return engine.Stop(sctx)
}

// newHandler is the seed's /new route: create an instance for a cart.
func newHandler(e *ordo.Engine, wf *ordo.Workflow[Params, Receipt]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cartID := r.URL.Query().Get("cartId")
		if cartID == "" {
			cartID = "123"
		}
		inst, err := wf.Create(r.Context(), e, Params{CartID: cartID}, nil)
		if err != nil {
			api.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		api.WriteJSON(w, http.StatusOK, map[string]any{"id": inst.ID, "details": inst})
	})
}

// statusHandler is the seed's ?instanceId= route.
func statusHandler(e *ordo.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("instanceId")
		if id == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><body><a href="/new">new instance</a> or add ?instanceId=...</body></html>`)
			return
		}
		inst, err := e.Get(r.Context(), id)
		if err != nil {
			api.WriteJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		api.WriteJSON(w, http.StatusOK, map[string]any{"status": inst})
	})
}
