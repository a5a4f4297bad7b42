package api

import (
	"bytes"
	"errors"
	"net/http"
)

var errorsIs = errors.Is

// unmatched answers a request no pattern matched in the JSON error format:
// 404, or 405 with the Allow header. The mux's own answer (which may also
// be a redirect to the canonical path) is captured first and replayed
// when it is neither.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	c := &capture{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusNotFound:
		writeError(w, s.log, Errorf(http.StatusNotFound, CodeNotFound, "no route for %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		if a := c.header.Get("Allow"); a != "" {
			w.Header().Set("Allow", a)
		}
		writeError(w, s.log, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, c.header.Get("Allow")))
	default:
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body.Bytes())
	}
}

// capture is a ResponseWriter that keeps what the mux's fallback handlers
// write (a few bytes of text).
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if !c.wrote {
		c.status, c.wrote = code, true
	}
}

func (c *capture) Write(b []byte) (int, error) {
	c.wrote = true
	if c.body.Len() < 4096 {
		c.body.Write(b)
	}
	return len(b), nil
}
