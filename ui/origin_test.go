package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	h := &handler{cfg: Config{TrustedOrigins: []string{"https://ops.example.com"}}}
	for _, tc := range []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"same origin", map[string]string{"Origin": "http://dash.local:8080"}, true},
		{"same origin, host in other case", map[string]string{"Origin": "http://DASH.local:8080"}, true},
		{"other port", map[string]string{"Origin": "http://dash.local:9090"}, false},
		{"other host", map[string]string{"Origin": "https://evil.example"}, false},
		{"trusted proxy origin", map[string]string{"Origin": "https://ops.example.com", "Sec-Fetch-Site": "same-site"}, true},
		{"fetch metadata same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"fetch metadata cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://dash.local:8080"}, false},
		{"null origin", map[string]string{"Origin": "null", "Referer": "http://dash.local:8080/ui/"}, false},
		{"referer only", map[string]string{"Referer": "http://dash.local:8080/ui/instances/x"}, true},
		{"foreign referer", map[string]string{"Referer": "http://evil.example/x"}, false},
		{"not a URL", map[string]string{"Origin": "javascript:alert(1)"}, false},
		{"nothing", nil, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://dash.local:8080/ui/instances/x/pause", nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		if err := h.sameOrigin(r); (err == nil) != tc.ok {
			t.Errorf("%s: sameOrigin = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
