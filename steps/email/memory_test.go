package email_test

import (
	"context"
	"errors"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

// renderAllocLimit is the most a hostile template may allocate: heap
// growth during a rendering cannot exceed what it allocated.
const renderAllocLimit = 32 << 20

// TestHostileTemplatesUnderMemoryCeiling renders every hostile template
// under a 256 MiB memory limit (GOMEMLIMIT) over a large order, and checks
// with runtime/metrics that each allocated at most renderAllocLimit, so
// the heap's peak stayed below what it held before plus that. Before the
// bounds, the first of them allocated gigabytes.
//
// Not parallel: the allocation counter is the process's.
func TestHostileTemplatesUnderMemoryCeiling(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	data := sampleData(1000)
	data.Order.Metadata["blob"] = strings.Repeat("<x>", 20_000)
	for _, text := range hostileTemplates {
		before := heapMetrics()
		out, err := email.Render(context.Background(), "message", text, data, nil)
		after := heapMetrics()
		allocated := after.allocs - before.allocs
		name := text
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		if err == nil {
			t.Errorf("%s: rendered %d bytes, want an error", name, len(out))
			continue
		}
		var le *email.LimitError
		var te *email.TemplateError
		if !ordo.IsNonRetryable(err) || (!errors.As(err, &le) && !errors.As(err, &te) && !strings.Contains(err.Error(), "error calling")) {
			t.Errorf("%s: error %v, want a non-retryable bound, rule or function error", name, err)
		}
		if allocated > renderAllocLimit {
			t.Errorf("%s: allocated %d bytes, more than %d", name, allocated, renderAllocLimit)
		}
		t.Logf("%s: %d KiB allocated, heap peak at most %d KiB: %v", name, allocated>>10, (before.heap+allocated)>>10, err)
	}
}

type heapReading struct{ allocs, heap uint64 }

// heapMetrics reads the bytes allocated so far and the bytes of live and
// not yet swept heap objects.
func heapMetrics() heapReading {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return heapReading{allocs: s[0].Value.Uint64(), heap: s[1].Value.Uint64()}
}
