package order_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRestStepRefusedByOutboundPolicy: a consume-rest-api step whose uri
// is a cloud metadata endpoint fails at its first attempt, without retry,
// with an error naming the rule; the flow's onError path runs. The
// request is refused before any connection is attempted.
func TestRestStepRefusedByOutboundPolicy(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{respond: always(http.StatusOK)})
	f.apply("seed", seedFlow(t, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"))
	f.create(sampleOrder("ord-metadata", "seed"))

	o := f.finish("ord-metadata")
	if o.Status != "Failed" {
		t.Fatalf("order ended %q, want Failed (the onError path)", o.Status)
	}
	c := step(t, o, "consume#1")
	const want = "outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)"
	if c.Attempts != 1 || c.Error == nil || c.Error.Kind != "non_retryable" || !strings.Contains(c.Error.Message, want) {
		t.Errorf("consume: %d attempts, error %+v; want 1 non_retryable attempt naming %q", c.Attempts, c.Error, want)
	}
	if n := len(f.rest.Requests()); n != 0 {
		t.Errorf("endpoint got %d POSTs, want 0", n)
	}
}
