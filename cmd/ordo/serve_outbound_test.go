package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/order/ordertest"
)

// postFlow is a flow of one consume-rest-api step POSTing to uri.
func postFlow(uri string) string {
	return `[{"stepDefinitionId": "post", "type": "consume-rest-api", "successStatus": "Sent", "options": {"uri": "` + uri + `"}}]`
}

// TestServeOutboundPolicy runs `ordo serve --outbound-deny 127.0.0.0/8,::1
// --outbound-allow localhost`: a step POSTing to the endpoint's address
// fails at its first attempt without retry, naming the rule, and sends
// nothing; the same endpoint by the allowed name is reached; a step
// POSTing to the server's own API is refused although 127.0.0.0/8 is
// denied anyway and localhost is allowed.
func TestServeOutboundPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ordo serve")
	}
	t.Parallel()
	endpoint := ordertest.StartEndpoint(t, nil)
	port := endpoint.URL[strings.LastIndex(endpoint.URL, ":")+1:]
	srv := startServe(t, "--data-dir", t.TempDir(), "--outbound-deny", "127.0.0.0/8,::1", "--outbound-allow", "localhost")
	selfPort := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	dir := t.TempDir()
	tests := []struct {
		flow, uri string
		want      string // "" for success
	}{
		{"denied", endpoint.URL + "/denied", "outbound request to 127.0.0.1:" + port + " refused: denied by --outbound-deny 127.0.0.0/8"},
		{"allowed", "http://localhost:" + port + "/allowed", ""},
		{"self", "http://localhost:" + selfPort + "/v1/orders",
			"refused: the server's own API address (Ordo never calls its own API through a flow step)"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.flow+".json")
		orderPath := filepath.Join(dir, tt.flow+"-order.json")
		if err := os.WriteFile(path, []byte(postFlow(tt.uri)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(orderPath, []byte(`{"id": "o-`+tt.flow+`", "flow": "`+tt.flow+`",
			"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "GIFT", "quantity": 1}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"flows", "apply", tt.flow, path}, {"orders", "create", orderPath}} {
			if out, errOut, err := runCLI(t, append(args, "--server", srv.URL)...); err != nil {
				t.Fatalf("ordo %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
			}
		}
	}
	for _, tt := range tests {
		var o order.Order
		waitUntil(t, 60*time.Second, "order o-"+tt.flow+" ends", func() bool {
			out, _, err := runCLI(t, "orders", "get", "o-"+tt.flow, "--json", "--server", srv.URL)
			o = order.Order{}
			return err == nil && json.Unmarshal([]byte(out), &o) == nil && o.InstanceStatus.Terminal()
		})
		i := slices.IndexFunc(o.Steps, func(s *ordo.StepRecord) bool { return s.Key == "post#1" })
		if i < 0 {
			t.Fatalf("order o-%s has no post#1 step: %+v", tt.flow, o.Steps)
		}
		s := o.Steps[i]
		if tt.want == "" {
			if s.Status != "completed" || o.Status != "Sent" {
				t.Errorf("flow %s: step %s (%+v), order %q; want completed and Sent", tt.flow, s.Status, s.Error, o.Status)
			}
			continue
		}
		if s.Attempts != 1 || s.Error == nil || s.Error.Kind != "non_retryable" || !strings.Contains(s.Error.Message, tt.want) {
			t.Errorf("flow %s: %d attempts, error %+v; want 1 non_retryable attempt naming %q", tt.flow, s.Attempts, s.Error, tt.want)
		}
	}
	var paths []string
	for _, r := range endpoint.Requests() {
		paths = append(paths, r.Path)
	}
	if !slices.Equal(paths, []string{"/allowed"}) {
		t.Errorf("endpoint got %v, want only /allowed", paths)
	}
}

// TestServeOutboundEnv: ORDO_OUTBOUND_ALLOW and ORDO_OUTBOUND_DENY fill
// the flags, comma-separated; a bad entry stops the server naming it.
func TestServeOutboundEnv(t *testing.T) {
	t.Setenv("ORDO_OUTBOUND_ALLOW", "169.254.169.254,erp.example.com")
	t.Setenv("ORDO_OUTBOUND_DENY", "10.0.0.0/8")
	cmd := newServeCmd()
	if err := applyEnv(cmd); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string][]string{
		"outbound-allow": {"169.254.169.254", "erp.example.com"},
		"outbound-deny":  {"10.0.0.0/8"},
	} {
		got, err := cmd.Flags().GetStringSlice(flag)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("--%s = %q, %v; want %q", flag, got, err, want)
		}
	}
	x := &ordersExtension{outboundDeny: []string{"http://erp.example.com"}}
	if _, err := x.outboundPolicy("127.0.0.1:8080"); err == nil || !strings.Contains(err.Error(), `--outbound-allow/--outbound-deny: outbound deny entry "http://erp.example.com"`) {
		t.Errorf("bad entry: %v", err)
	}
}
