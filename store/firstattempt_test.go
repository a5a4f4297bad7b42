package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

func TestFirstAttempt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(key string, n int, comp bool) store.AttemptRecord {
		return store.AttemptRecord{StepKey: key, Attempt: store.Attempt{Number: n, Compensation: comp, StartedAt: t0.Add(time.Duration(n) * time.Second)}}
	}
	u := &store.Update{
		Steps:    []*store.Step{{Key: "a#1"}, {Key: "b#1"}},
		Attempts: []store.AttemptRecord{rec("a#1", 2, false), rec("a#1", 1, true), rec("a#1", 1, false), rec("c#1", 1, false), rec("b#1", 3, false)},
	}
	tests := []struct {
		key  string
		want *store.Attempt
	}{
		{"a#1", &u.Attempts[2].Attempt},
		{"b#1", nil}, // only attempt 3
		{"c#1", &u.Attempts[3].Attempt},
		{"d#1", nil},
	}
	for _, tc := range tests {
		if got := store.FirstAttempt(u, tc.key); got != tc.want {
			t.Errorf("FirstAttempt(%s) = %v, want %v", tc.key, got, tc.want)
		}
	}
	// On the step's row: attempt 1 (not a compensation) of a step the
	// update writes. c#1's step is not written, so its attempt keeps a row.
	wantRow := []bool{false, false, true, false, false}
	for i := range u.Attempts {
		if got := store.OnStepRow(u, &u.Attempts[i]); got != wantRow[i] {
			t.Errorf("OnStepRow(%+v) = %t, want %t", u.Attempts[i], got, wantRow[i])
		}
	}
}

func TestAddAttempt(t *testing.T) {
	a := func(n int, comp bool) store.Attempt { return store.Attempt{Number: n, Compensation: comp} }
	tests := []struct {
		name    string
		history []store.Attempt // the step's row's first attempt, if any
		rows    []store.Attempt
		want    []store.Attempt
	}{
		{"rows only", nil, []store.Attempt{a(1, false), a(2, false), a(1, true)}, []store.Attempt{a(1, false), a(2, false), a(1, true)}},
		{"first on the row", []store.Attempt{a(1, false)}, []store.Attempt{a(2, false), a(1, true)}, []store.Attempt{a(1, false), a(2, false), a(1, true)}},
		{"first on the row and in a row", []store.Attempt{a(1, false)}, []store.Attempt{a(1, false), a(2, false)}, []store.Attempt{a(1, false), a(2, false)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &store.Step{History: tc.history}
			for _, r := range tc.rows {
				store.AddAttempt(st, r)
			}
			if diff := cmp.Diff(tc.want, st.History); diff != "" {
				t.Errorf("History (-want +got):\n%s", diff)
			}
		})
	}
}
