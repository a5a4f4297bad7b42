package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo/auth"
)

//go:embed templates
var templateFS embed.FS

// pages holds one template set per page: the layout, the shared partials
// and the page's own file.
type pages struct {
	list, instance, notFound, login *template.Template
	schedules, events, webhooks     *template.Template
	orders, order, bulkJob          *template.Template
	audit                           *template.Template
	flows, flow                     *template.Template
}

// pageData is what every page's layout needs.
type pageData struct {
	Title   string
	Base    string // the handler's base path, "/ui"
	CSS, JS string // versioned asset URLs
	Icon    string
	Refresh string // htmx polling trigger, "every 2s"
	// User is the signed-in key; nil when the dashboard runs open (Open)
	// or on the sign-in page (SignIn).
	User   *auth.Principal
	Open   bool
	SignIn bool
	// Schedules, Events, Webhooks, Orders and Audit show the links to
	// those pages.
	Schedules, Events, Webhooks, Orders bool
	Audit                               bool
}

func parsePages(cfg Config, as *assets) (*pages, error) {
	funcs := template.FuncMap{
		// pct formats a percentage for SVG coordinates.
		"pct": func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		// inc turns a 0-based index into a 1-based position.
		"inc": func(i int) int { return i + 1 },
		// hasPrefix is strings.HasPrefix.
		"hasPrefix": strings.HasPrefix,
		// plural picks the singular or plural noun for n.
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("ui: parse layout: %w", err)
	}
	// page parses a page's files over the layout; a later file's
	// definitions replace an earlier one's ("content").
	page := func(files ...string) (*template.Template, error) {
		t := template.Must(base.Clone())
		for _, file := range files {
			if _, err := t.ParseFS(templateFS, "templates/"+file); err != nil {
				return nil, fmt.Errorf("ui: parse %s: %w", file, err)
			}
		}
		return t, nil
	}
	ps := &pages{}
	if ps.list, err = page("list.html"); err != nil {
		return nil, err
	}
	if ps.instance, err = page("instance.html"); err != nil {
		return nil, err
	}
	if ps.notFound, err = page("notfound.html"); err != nil {
		return nil, err
	}
	if ps.login, err = page("login.html"); err != nil {
		return nil, err
	}
	if ps.schedules, err = page("schedules.html"); err != nil {
		return nil, err
	}
	if ps.events, err = page("events.html"); err != nil {
		return nil, err
	}
	if ps.webhooks, err = page("webhooks.html"); err != nil {
		return nil, err
	}
	if ps.orders, err = page("orders.html"); err != nil {
		return nil, err
	}
	if ps.flows, err = page("flows.html"); err != nil {
		return nil, err
	}
	if ps.flow, err = page("flow.html"); err != nil {
		return nil, err
	}
	if ps.bulkJob, err = page("bulkjob.html"); err != nil {
		return nil, err
	}
	if ps.audit, err = page("audit.html"); err != nil {
		return nil, err
	}
	// The order page reuses the instance page's actions and timeline.
	if ps.order, err = page("instance.html", "order.html"); err != nil {
		return nil, err
	}
	return ps, nil
}

// page returns the layout data of a page titled title, for the key that
// signed r in (see gate).
func (h *handler) page(r *http.Request, title string) pageData {
	b := h.cfg.BasePath
	p, signedIn := auth.FromContext(r.Context())
	return pageData{
		Title: title, Base: b,
		CSS: h.assets.url(b, "ordo.css"), JS: h.assets.url(b, "htmx.min.js"), Icon: h.assets.url(b, "favicon.svg"),
		Refresh: h.refresh(), User: p, Open: !signedIn, Schedules: h.cfg.Schedules != nil,
		Events: h.cfg.Events, Webhooks: h.cfg.Webhooks != nil, Orders: h.cfg.Orders != nil,
		Audit: h.auditEnabled() && mayAdmin(r),
	}
}

// refresh is the htmx polling trigger, "every 2s".
func (h *handler) refresh() string {
	return "every " + h.cfg.RefreshInterval.Round(time.Millisecond).String()
}

// render executes template name of t into a buffer and writes it with
// status, so a template error becomes a clean 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, t *template.Template, name string, status int, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("ordo ui: render", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// notFoundView is the page for an unknown path or instance.
type notFoundView struct {
	pageData
	Message string
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderNotFound(w, r, "There is no page at "+r.URL.Path+".")
}

func (h *handler) renderNotFound(w http.ResponseWriter, r *http.Request, msg string) {
	h.render(w, r, h.pages.notFound, "layout", http.StatusNotFound, &notFoundView{pageData: h.page(r, "Not found"), Message: msg})
}
