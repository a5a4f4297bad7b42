package schedule_test

import (
	"fmt"
	"time"

	"github.com/ordohq/ordo/schedule"
)

// A daily 02:30 in Europe/Berlin around the 2026 clock changes: the 02:30
// that does not exist (29 March) is skipped, the one that happens twice
// (25 October) fires once.
func ExampleSpec_Next() {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	sp := &schedule.Spec{ID: "nightly", Cron: "30 2 * * *", Timezone: "Europe/Berlin", Workflow: "report"}
	for _, from := range []time.Time{time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC)} {
		times, err := sp.Next(from, 3)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, t := range times {
			fmt.Println(t.Format(time.RFC3339), "=", t.In(berlin).Format("2006-01-02 15:04 MST"))
		}
	}
	// Output:
	// 2026-03-28T01:30:00Z = 2026-03-28 02:30 CET
	// 2026-03-30T00:30:00Z = 2026-03-30 02:30 CEST
	// 2026-03-31T00:30:00Z = 2026-03-31 02:30 CEST
	// 2026-10-24T00:30:00Z = 2026-10-24 02:30 CEST
	// 2026-10-25T00:30:00Z = 2026-10-25 02:30 CEST
	// 2026-10-26T01:30:00Z = 2026-10-26 02:30 CET
}
