package api

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

// Error codes of the request checks.
const (
	CodeUnauthenticated      = "unauthenticated"
	CodeForbidden            = "forbidden"
	CodeCrossOrigin          = "cross_origin"
	CodeHostNotAllowed       = "host_not_allowed"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeJSONTooDeep          = "json_too_deep"
	CodeMethodNotAllowed     = "method_not_allowed"
)

// openPath reports whether a path is served to anyone: liveness and
// readiness probes.
func openPath(p string) bool { return p == "/healthz" || p == "/readyz" }

// dashboardPath reports whether a path belongs to the dashboard, which
// signs its users in itself (a cookie session).
func dashboardPath(p string) bool { return p == "/" || p == "/ui" || strings.HasPrefix(p, "/ui/") }

// safeMethod reports whether a method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// guardRequest runs the checks every request passes before routing and
// returns the request carrying its principal. On error the request is
// returned unchanged with the error to answer.
func (s *Server) guardRequest(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	path := r.URL.Path
	if openPath(path) {
		return r, nil
	}
	if !s.hosts.allows(r.Host) {
		return r, Errorf(http.StatusForbidden, CodeHostNotAllowed,
			"host %q is not served here; add it to --allowed-hosts if this server is meant to answer to that name", r.Host)
	}
	if !safeMethod(r.Method) {
		if err := s.origin.Check(r); err != nil {
			return r, Errorf(http.StatusForbidden, CodeCrossOrigin,
				"cross-origin %s refused: state-changing requests must come from this server's own pages or from a client that is not a browser", r.Method)
		}
	}
	if dashboardPath(path) {
		return r, nil
	}
	if !safeMethod(r.Method) {
		if err := checkContentType(r); err != nil {
			return r, err
		}
	}
	if s.cfg.Auth == nil {
		return r, nil
	}
	required, err := s.cfg.Auth.Required(r.Context())
	if err != nil {
		return r, err
	}
	if !required {
		return r, nil
	}
	key, _ := auth.BearerKey(r)
	if key == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ordo"`)
		return r, Errorf(http.StatusUnauthorized, CodeUnauthenticated,
			"this server needs an API key: send it as Authorization: Bearer <key> (ordo keys create NAME --scope read|operate|admin makes one)")
	}
	p, err := s.cfg.Auth.Authenticate(r.Context(), key)
	if err != nil {
		if errorsIs(err, auth.ErrUnauthenticated) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ordo", error="invalid_token"`)
			return r, Errorf(http.StatusUnauthorized, CodeUnauthenticated, "the API key is unknown or revoked")
		}
		return r, err
	}
	return r.WithContext(ordo.WithActor(auth.WithPrincipal(r.Context(), p), p.Name)), nil
}

// checkContentType refuses a state-changing request whose body is not
// declared as JSON: a browser sends text/plain, form and multipart bodies
// cross-origin without asking, JSON only after a preflight.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return nil // no body at all (pause, resume, DELETE)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		shown := ct
		if shown == "" {
			shown = "none"
		}
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"a %s body must be sent with Content-Type: application/json (got %s)", r.Method, shown)
	}
	// The body is read as UTF-8 whatever it says; a body declared in another
	// charset would be misread, so it is refused rather than guessed at.
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"a %s body must be UTF-8 JSON (got charset %q)", r.Method, cs)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"a %s body must not be encoded (got Content-Encoding %q); send plain JSON", r.Method, ce)
	}
	return nil
}

// guardRoute runs the per-route checks: the scope, the ids in the path and
// the body's size and depth.
func (s *Server) guardRoute(w http.ResponseWriter, r *http.Request, scope auth.Scope, ids []pathID) error {
	if s.cfg.Auth != nil && !openPath(r.URL.Path) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			// Defence in depth: guardRequest authenticates every path that
			// reaches a route, unless the server runs open.
			required, err := s.cfg.Auth.Required(r.Context())
			if err != nil {
				return err
			}
			if required {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ordo"`)
				return Errorf(http.StatusUnauthorized, CodeUnauthenticated, "this server needs an API key: send it as Authorization: Bearer <key>")
			}
		}
		if ok && !p.Scope.Allows(scope) {
			return Errorf(http.StatusForbidden, CodeForbidden,
				"%s %s needs a key with the %s scope; key %q has %s", r.Method, r.URL.Path, scope, p.Name, p.Scope)
		}
	}
	for _, id := range ids {
		if err := ordo.ValidateID(id.kind, r.PathValue(id.name)); err != nil {
			return err
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			// Refused before reading: the client said how much it sends.
			return fmt.Errorf("%w: request body is larger than %d bytes", ordo.ErrPayloadTooLarge, s.cfg.MaxBodyBytes)
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		if !safeMethod(r.Method) {
			if err := limitDepth(r, s.cfg.MaxJSONDepth); err != nil {
				return err
			}
		}
	}
	return nil
}

// defaultScope is the scope a pattern's method implies.
func defaultScope(pattern string) auth.Scope {
	m, _, ok := strings.Cut(pattern, " ")
	if !ok || m == http.MethodGet || m == http.MethodHead {
		return auth.ScopeRead
	}
	return auth.ScopeOperate
}

// patternPath returns the path of a ServeMux pattern ("GET /v1/x" → "/v1/x").
func patternPath(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return strings.TrimSpace(pattern[i+1:])
	}
	return pattern
}

// pathID is a path wildcard holding an id, and what to call it in errors.
type pathID struct{ name, kind string }

// pathIDs lists the {id} and {name} wildcards of a pattern that hold ids,
// named after the collection before them ("/v1/orders/{id}" → "order id").
// Workflow names are code-defined, not ids, and are not checked; nor are
// step keys ("/v1/instances/{id}/steps/{key}/..."): a key is a step name
// and its occurrence ("charge#1"), which Engine.Compensation checks.
func pathIDs(pattern string) []pathID {
	segs := strings.Split(patternPath(pattern), "/")
	var out []pathID
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") || i == 0 {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
		if strings.HasSuffix(name, "...") || name == "$" {
			continue
		}
		coll := segs[i-1]
		if coll == "workflows" || coll == "steps" || coll == "" {
			continue
		}
		thing := strings.TrimSuffix(coll, "s")
		if strings.HasSuffix(coll, "ies") {
			thing = strings.TrimSuffix(coll, "ies") + "y"
		}
		out = append(out, pathID{name: name, kind: fmt.Sprintf("%s %s", thing, name)})
	}
	return out
}
