package ui

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

// Config configures the dashboard handler.
type Config struct {
	// Engine is the engine whose instances the dashboard shows and
	// controls. Required.
	Engine *ordo.Engine
	// Logger receives the errors the dashboard could not show (template
	// failures, storage errors). Default slog.Default().
	Logger *slog.Logger
	// BasePath is the path the handler is mounted under, without a
	// trailing slash. Default "/ui". The handler serves BasePath+"/" and
	// everything below it; it does not strip the prefix, so mount it with
	// mux.Handle(BasePath+"/", h).
	BasePath string
	// TrustedOrigins lists extra origins ("https://ops.example.com") whose
	// pages may POST actions, for a dashboard behind a proxy that rewrites
	// the Host header. Default: none; only the request's own host is
	// trusted.
	TrustedOrigins []string
	// Location is the time zone times are shown in. Default time.Local.
	Location *time.Location
	// PageSize is how many instances a list page shows. Default 25, at
	// most 200.
	PageSize int
	// RefreshInterval is how often htmx refreshes the instances table and
	// a live instance's timeline. Default 2 s.
	RefreshInterval time.Duration
	// Auth checks API keys and sign-in sessions. nil: the dashboard is open
	// to everyone who reaches it. When Auth.Required is true, every page,
	// fragment and action needs a session cookie (SessionCookie, set by
	// the sign-in page BasePath+"/login") or an "Authorization: Bearer"
	// key, and actions need the operate scope; static assets stay open.
	Auth *auth.Authenticator
	// SessionTTL is how long a sign-in lasts (the cookie's lifetime).
	// Default 12 h, between 1 minute and 30 days.
	SessionTTL time.Duration
	// Schedules, if set, adds the schedules page (BasePath+"/schedules"):
	// next and last fires, pause, resume and trigger (admin scope).
	Schedules *schedule.Scheduler
	// Events adds the events page (BasePath+"/events"): the published
	// events and what each delivery to a subscription started. The
	// engine's store must keep published events (store.PublishStore).
	Events bool
	// Webhooks, if set, adds the webhooks page (BasePath+"/webhooks"):
	// each webhook's recent deliveries and a redeliver button (admin
	// scope, as the API's redeliver).
	Webhooks store.WebhookStore
	// Orders, if set, adds the orders pages (BasePath+"/orders"): the
	// orders with filters, and each order with its customer, items, files,
	// status history, flow version, instance timeline and actions.
	Orders *order.Service
	// Bulk, with Orders, adds bulk actions to the orders page: a dry run
	// counts the filtered orders, a confirmation starts the job, and its
	// page (BasePath+"/bulk/{id}") shows the progress.
	Bulk *bulk.Service
}

// Config.SessionTTL: its default and bounds.
const (
	DefaultSessionTTL = 12 * time.Hour
	MinSessionTTL     = time.Minute
	MaxSessionTTL     = 30 * 24 * time.Hour
)

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.Engine == nil {
		return cfg, fmt.Errorf("%w: ui.Config.Engine is required", ordo.ErrInvalidArgument)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BasePath == "" {
		cfg.BasePath = "/ui"
	}
	cfg.BasePath = strings.TrimSuffix(cfg.BasePath, "/")
	if !strings.HasPrefix(cfg.BasePath, "/") {
		return cfg, fmt.Errorf("%w: ui.Config.BasePath must start with /, got %q", ordo.ErrInvalidArgument, c.BasePath)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 25
	}
	if cfg.PageSize < 1 || cfg.PageSize > 200 {
		return cfg, fmt.Errorf("%w: ui.Config.PageSize must be between 1 and 200, got %d", ordo.ErrInvalidArgument, cfg.PageSize)
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = 2 * time.Second
	}
	if cfg.RefreshInterval < 100*time.Millisecond {
		return cfg, fmt.Errorf("%w: ui.Config.RefreshInterval must be at least 100ms, got %s", ordo.ErrInvalidArgument, cfg.RefreshInterval)
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SessionTTL < MinSessionTTL || cfg.SessionTTL > MaxSessionTTL {
		return cfg, fmt.Errorf("%w: ui.Config.SessionTTL must be between %s and %s, got %s",
			ordo.ErrInvalidArgument, MinSessionTTL, MaxSessionTTL, cfg.SessionTTL)
	}
	for _, o := range cfg.TrustedOrigins {
		if _, err := originHost(o); err != nil {
			return cfg, fmt.Errorf("%w: ui.Config.TrustedOrigins: %w", ordo.ErrInvalidArgument, err)
		}
	}
	return cfg, nil
}

// handler is the dashboard: pages, fragments, actions and assets.
type handler struct {
	cfg    Config
	engine *ordo.Engine
	log    *slog.Logger
	pages  *pages
	assets *assets
	mux    *http.ServeMux
	flows  flowCache // parsed flow versions, for the status badges
}

// New returns the dashboard as an http.Handler serving Config.BasePath+"/"
// (default "/ui/"): the instances list, each instance with its step
// timeline, and the actions (pause, resume, terminate, restart, send
// event), which are POST forms checked for same origin. Pages work without
// JavaScript; the vendored htmx only refreshes live parts and submits
// actions in place. Everything it serves is embedded: it makes no external
// request. With Config.Auth and keys in force, everything but the static
// assets needs a sign-in ({base}/login) or a Bearer key, and actions the
// operate scope.
func New(cfg Config) (http.Handler, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	ps, err := parsePages(c, as)
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: c, engine: c.Engine, log: c.Logger, pages: ps, assets: as, mux: http.NewServeMux()}
	h.routes()
	return h, nil
}

func (h *handler) routes() {
	b := h.cfg.BasePath
	h.mux.HandleFunc("GET "+b+"/{$}", h.gate(gatePage, h.listPage))
	h.mux.HandleFunc("GET "+b+"/fragments/instances", h.gate(gateFragment, h.listFragment))
	h.mux.HandleFunc("GET "+b+"/instances/{id}", h.gate(gatePage, h.instancePage))
	h.mux.HandleFunc("GET "+b+"/instances/{id}/live", h.gate(gateFragment, h.instanceLive))
	h.mux.HandleFunc("POST "+b+"/instances/{id}/{action}", h.gate(gateAction, h.action))
	if h.cfg.Schedules != nil {
		h.mux.HandleFunc("GET "+b+"/schedules", h.gate(gatePage, h.schedulesPage))
		h.mux.HandleFunc("POST "+b+"/schedules/{id}/{action}", h.gate(gateAction, h.scheduleAction))
	}
	if h.cfg.Events {
		h.mux.HandleFunc("GET "+b+"/events", h.gate(gatePage, h.eventsPage))
	}
	if h.cfg.Webhooks != nil {
		h.mux.HandleFunc("GET "+b+"/webhooks", h.gate(gatePage, h.webhooksPage))
		h.mux.HandleFunc("POST "+b+"/webhooks/{id}/deliveries/{delivery}/redeliver", h.gate(gateAction, h.redeliver))
	}
	if h.cfg.Orders != nil {
		h.mux.HandleFunc("GET "+b+"/orders", h.gate(gatePage, h.ordersPage))
		h.mux.HandleFunc("GET "+b+"/flows", h.gate(gatePage, h.flowsPage))
		h.mux.HandleFunc("GET "+b+"/flows/{name}", h.gate(gatePage, h.flowPage))
		h.mux.HandleFunc("GET "+b+"/fragments/orders", h.gate(gateFragment, h.ordersFragment))
		h.mux.HandleFunc("GET "+b+"/orders/{id}", h.gate(gatePage, h.orderPage))
		h.mux.HandleFunc("GET "+b+"/orders/{id}/live", h.gate(gateFragment, h.orderLiveFragment))
		h.mux.HandleFunc("GET "+b+"/orders/{id}/files/{name}", h.gate(gatePage, h.orderFile))
		h.mux.HandleFunc("GET "+b+"/orders/{id}/files/{name}/preview.png", h.gate(gateFragment, h.orderFilePreview))
		h.mux.HandleFunc("POST "+b+"/orders/{id}/{action}", h.gate(gateAction, h.orderAction))
	}
	if h.cfg.Orders != nil && h.cfg.Bulk != nil {
		h.mux.HandleFunc("POST "+b+"/orders/bulk", h.gate(gateAction, h.ordersBulk))
		h.mux.HandleFunc("GET "+b+"/bulk/{id}", h.gate(gatePage, h.bulkJobPage))
		h.mux.HandleFunc("GET "+b+"/bulk/{id}/live", h.gate(gateFragment, h.bulkJobLiveFragment))
	}
	if h.auditEnabled() {
		h.mux.HandleFunc("GET "+b+"/audit", h.gate(gatePage, h.auditPage))
	}
	h.mux.HandleFunc("GET "+b+"/login", h.loginPage)
	h.mux.HandleFunc("POST "+b+"/login", h.login)
	h.mux.HandleFunc("POST "+b+"/logout", h.logout)
	h.mux.HandleFunc("GET "+b+"/static/{name}", h.assets.serve)
	h.mux.HandleFunc(b+"/", h.gate(gatePage, h.notFound))
}

// ServeHTTP serves the dashboard with its security headers, on every
// answer (pages, sign-in, redirects and errors alike): a strict content
// security policy (scripts and styles from the dashboard only, none
// inline), no framing, no MIME sniffing, and same-origin referrers.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}
