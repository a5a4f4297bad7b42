package sqlite

import (
	"slices"
	"strings"
	"testing"
)

// TestChunks pins how rows are cut for the multi-row statements: the
// largest prepared sizes first, ones for the rest.
func TestChunks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n    int
		want []int
	}{
		{0, nil},
		{1, []int{1}},
		{2, []int{2}},
		{3, []int{2, 1}},
		{27, []int{16, 8, 2, 1}},
		{64, []int{64}},
		{200, []int{64, 64, 64, 8}},
	}
	for _, tc := range cases {
		if got := chunks(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("chunks(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestRowStatements checks that each multi-row statement has the rows it
// is chosen for: a statement built from a single-row one whose VALUES
// changed shape would otherwise keep one row and refuse the arguments.
func TestRowStatements(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		stmts map[int]string
		width int
	}{
		"touch":    {sqlJournalTouchRows, 3},
		"steps":    {sqlStepUpsertRows, stepWidth},
		"attempts": {sqlAttemptInsertRows, 7},
	} {
		for _, n := range rowChunks {
			if got := strings.Count(tc.stmts[n], "?"); got != n*tc.width {
				t.Errorf("%s statement for %d rows has %d placeholders, want %d", name, n, got, n*tc.width)
			}
		}
	}
}
