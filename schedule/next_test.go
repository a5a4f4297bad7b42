package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// TestNextDST checks fire times against known UTC times across the 2026
// daylight-saving changes of Europe/Berlin.
func TestNextDST(t *testing.T) {
	tests := []struct {
		name, cron, tz, from string
		want                 []string
	}{
		{"daily 02:30 across spring forward: 2026-03-29 02:30 does not exist and is skipped",
			"30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z",
			[]string{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}},
		{"daily 02:30 across fall back: 2026-10-25 02:30 happens twice and fires once",
			"30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"fall back, starting between the two 02:30s", "30 2 * * *", "Europe/Berlin", "2026-10-25T00:45:00Z",
			[]string{"2026-10-26T01:30:00Z"}},
		{"hourly :30 on fall-back day: each wall time once", "30 * * * *", "Europe/Berlin", "2026-10-24T23:00:00Z",
			[]string{"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z", "2026-10-25T03:30:00Z"}},
		{"hourly :30 on spring-forward day: 02:30 is skipped", "30 * * * *", "Europe/Berlin", "2026-03-28T23:45:00Z",
			[]string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"}},
		{"Brussels 02:00 in winter and summer", "0 2 * * *", "Europe/Brussels", "2026-06-01T00:30:00Z",
			[]string{"2026-06-02T00:00:00Z"}},
		{"UTC default", "0 2 * * *", "", "2026-06-01T00:30:00Z", []string{"2026-06-01T02:00:00Z"}},
		{"descriptor", "@hourly", "", "2026-06-01T00:30:00Z", []string{"2026-06-01T01:00:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Spec{ID: "s", Cron: tc.cron, Timezone: tc.tz, Workflow: "w"}
			got, err := s.Next(mustTime(t, tc.from), len(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				if !got[i].Equal(mustTime(t, w)) {
					t.Errorf("fire %d: got %s, want %s", i, got[i].Format(time.RFC3339), w)
				}
			}
		})
	}
}

func TestNextEvery(t *testing.T) {
	tests := []struct {
		every, from string
		want        []string
	}{
		{"15m", "2026-06-01T10:07:00Z", []string{"2026-06-01T10:15:00Z", "2026-06-01T10:30:00Z"}},
		{"1s", "2026-06-01T10:07:00.5Z", []string{"2026-06-01T10:07:01Z", "2026-06-01T10:07:02Z"}},
		{"1s", "2026-06-01T10:07:00Z", []string{"2026-06-01T10:07:01Z"}},
		{"24h", "2026-06-01T10:07:00Z", []string{"2026-06-02T00:00:00Z"}},
	}
	for _, tc := range tests {
		s := &Spec{ID: "s", Every: tc.every, Workflow: "w"}
		from, _ := time.Parse(time.RFC3339Nano, tc.from)
		got, err := s.Next(from, len(tc.want))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tc.want {
			if !got[i].Equal(mustTime(t, w)) {
				t.Errorf("every %s from %s fire %d: got %s, want %s", tc.every, tc.from, i, got[i], w)
			}
		}
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		field string
	}{
		{"no id", Spec{Every: "1m", Workflow: "w"}, "schedule id"},
		{"bad id", Spec{ID: "a b", Every: "1m", Workflow: "w"}, "schedule id"},
		{"neither", Spec{ID: "s", Workflow: "w"}, "cron"},
		{"both", Spec{ID: "s", Cron: "* * * * *", Every: "1m", Workflow: "w"}, "cron"},
		{"bad cron", Spec{ID: "s", Cron: "61 * * * *", Workflow: "w"}, "cron"},
		{"tz in cron", Spec{ID: "s", Cron: "TZ=UTC 0 * * * *", Workflow: "w"}, "cron"},
		{"every too short", Spec{ID: "s", Every: "500ms", Workflow: "w"}, "every"},
		{"every fraction", Spec{ID: "s", Every: "1500ms", Workflow: "w"}, "every"},
		{"every garbage", Spec{ID: "s", Every: "soon", Workflow: "w"}, "every"},
		{"unknown zone", Spec{ID: "s", Cron: "0 2 * * *", Timezone: "Mars/Olympus", Workflow: "w"}, "timezone"},
		{"Local zone", Spec{ID: "s", Cron: "0 2 * * *", Timezone: "Local", Workflow: "w"}, "timezone"},
		{"zone with every", Spec{ID: "s", Every: "1m", Timezone: "UTC", Workflow: "w"}, "timezone"},
		{"jitter", Spec{ID: "s", Every: "1m", Jitter: "48h", Workflow: "w"}, "jitter"},
		{"catchup", Spec{ID: "s", Every: "1m", CatchupWindow: "-1s", Workflow: "w"}, "catchupWindow"},
		{"overlap", Spec{ID: "s", Every: "1m", Overlap: "queue", Workflow: "w"}, "overlap"},
		{"no target", Spec{ID: "s", Every: "1m"}, "workflow"},
		{"two targets", Spec{ID: "s", Every: "1m", Workflow: "w", Flow: "f"}, "workflow"},
		{"order with workflow", Spec{ID: "s", Every: "1m", Workflow: "w", Order: []byte(`{}`)}, "order"},
		{"order not object", Spec{ID: "s", Every: "1m", Flow: "f", Order: []byte(`[1]`)}, "order"},
		{"order with id", Spec{ID: "s", Every: "1m", Flow: "f", Order: []byte(`{"id":"x"}`)}, "order.id"},
		{"params with flow", Spec{ID: "s", Every: "1m", Flow: "f", Params: []byte(`{}`)}, "params"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if !errors.Is(err, ordo.ErrInvalidArgument) {
				t.Fatalf("Validate: %v, want ErrInvalidArgument", err)
			}
			if want := tc.field; !contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
	ok := Spec{ID: "s", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Workflow: "w", Params: []byte(`{"a":1}`)}
	if err := ok.Validate(); err != nil || ok.Overlap != OverlapSkip {
		t.Fatalf("valid spec: %v, overlap %q", err, ok.Overlap)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
