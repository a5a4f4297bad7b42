package bench

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestRunPublish publishes a few events both ways. With
// ORDO_BENCH_PUBLISH=N it publishes N events and logs the measurements:
//
//	ORDO_BENCH_PUBLISH=2000 go test -run TestRunPublish -v ./internal/bench
func TestRunPublish(t *testing.T) {
	n, baseline := 50, 200*time.Millisecond
	if v := os.Getenv("ORDO_BENCH_PUBLISH"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("ORDO_BENCH_PUBLISH=%q: want a number of events", v)
		}
		baseline = 3 * time.Second
	}
	for _, tc := range []struct {
		start      string
		submitters int
	}{{"inprocess", 1}, {"inprocess", 16}, {"http", 16}} {
		r, err := RunPublish(t.Context(), PublishOptions{N: n, Submitters: tc.submitters, Start: tc.start,
			Dir: t.TempDir(), Baseline: baseline})
		if err != nil {
			t.Fatalf("%s: %v", tc.start, err)
		}
		if r.EventsPerS <= 0 || r.BaselineCommitsPerS <= 0 || r.StartedMS.P99 < r.StartedMS.P50 {
			t.Errorf("%s: implausible result %+v", tc.start, r)
		}
		b, _ := json.Marshal(r)
		t.Logf("%s", b)
	}
}
