package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store"
)

// TestBodiesInOtherCharsetsOrEncodingsRefused: a body is read as plain UTF-8
// JSON, so one declared in another charset or compressed is refused with 415
// instead of being misread as invalid JSON or, worse, read as something else.
func TestBodiesInOtherCharsetsOrEncodingsRefused(t *testing.T) {
	g := setupGuarded(t)
	cases := []struct {
		name string
		hdr  map[string]string
		want int // 0: anything but 415
	}{
		{"utf-16", map[string]string{"Content-Type": "application/json;charset=utf-16"}, http.StatusUnsupportedMediaType},
		{"latin1", map[string]string{"Content-Type": "application/json; charset=latin1"}, http.StatusUnsupportedMediaType},
		{"gzip", map[string]string{"Content-Encoding": "gzip"}, http.StatusUnsupportedMediaType},
		{"list of types", map[string]string{"Content-Type": "application/json, text/plain"}, http.StatusUnsupportedMediaType},
		{"utf-8", map[string]string{"Content-Type": "application/json; charset=UTF-8"}, 0},
		{"upper case type", map[string]string{"Content-Type": "APPLICATION/JSON"}, 0},
		{"identity", map[string]string{"Content-Encoding": "identity"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := g.do("admin", http.MethodPost, "/v1/workflows/w/instances", `{"params":{}}`, c.hdr)
			switch {
			case c.want != 0 && (resp.StatusCode != c.want || code(t, b) != api.CodeUnsupportedMediaType):
				t.Errorf("%d %s, want %d unsupported_media_type", resp.StatusCode, b, c.want)
			case c.want == 0 && resp.StatusCode == http.StatusUnsupportedMediaType:
				t.Errorf("%d %s, want it accepted as JSON", resp.StatusCode, b)
			}
		})
	}
}

// TestDeclaredOversizedBodyRefusedAtOnce: a Content-Length over the limit is
// answered 413 before the body is read, so a client that announces a huge
// body and sends a few bytes does not hold the connection until the read
// timeout.
func TestDeclaredOversizedBodyRefusedAtOnce(t *testing.T) {
	g := setupGuarded(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}", g.keys["admin"])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
}

// TestHostilePathsAndStepNamesKeepTheAuditTrail: a path with NUL or invalid
// UTF-8 (decoded from %00, %ff) and a restart fromStep with NUL are refused
// with 400 on every backend, and the audit trail records every request, the
// paths escaped: PostgreSQL's text columns refuse NUL, and one such entry
// used to fail its whole batch.
func TestHostilePathsAndStepNamesKeepTheAuditTrail(t *testing.T) {
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st := backends[name](t).(guardedStore)
			g := setupGuardedOn(t, st)
			reqs := []struct {
				path, body, wantPath string
				status               int
			}{
				{"/v1/instances/a%00b/pause", "", "/v1/instances/a%00b/pause", http.StatusBadRequest},
				{"/v1/instances/%ff/pause", "", "/v1/instances/%ff/pause", http.StatusBadRequest},
				{"/v1/instances/x-1/restart", `{"fromStep":"a\u0000b"}`, "/v1/instances/x-1/restart", http.StatusBadRequest},
				{"/v1/instances/x-1/restart", `{"fromStep":"\udfff"}`, "/v1/instances/x-1/restart", 0},
				{"/v1/instances/x-1/pause", "", "/v1/instances/x-1/pause", http.StatusNotFound},
			}
			for _, rq := range reqs {
				resp, b := g.do("admin", http.MethodPost, rq.path, rq.body, nil)
				if resp.StatusCode >= 500 || (rq.status != 0 && resp.StatusCode != rq.status) {
					t.Errorf("POST %s %s: %d %s, want %d", rq.path, rq.body, resp.StatusCode, b, rq.status)
				}
			}
			if err := g.srv.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			page, err := st.(interface {
				AuditList(context.Context, *store.AuditListParams) (*store.AuditPage, error)
			}).AuditList(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range page.Entries {
				got = append(got, e.Path)
			}
			slices.Reverse(got) // newest first
			var want []string
			for _, rq := range reqs {
				want = append(want, rq.wantPath)
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit paths %q, want %q", got, want)
			}
		})
	}
}
