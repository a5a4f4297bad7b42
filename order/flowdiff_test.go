package order

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiffLines(t *testing.T) {
	a := []string{"[", "  1", "  2", "  3", "  4", "  5", "  6", "  7", "  8", "  9", "]"}
	b := []string{"[", "  1", "  2", "  3", "  four", "  5", "  6", "  7", "  8", "  9", "  10", "]"}
	d := &FlowDiff{Name: "shop", From: 1, To: 2}
	diffLines(d, a, b, 100)
	var got []string
	for _, l := range d.Lines {
		got = append(got, fmt.Sprintf("%s %d %d %s", l.Op, l.From, l.To, l.Text))
	}
	if d.Added != 2 || d.Removed != 1 || d.Truncated {
		t.Errorf("added %d removed %d truncated %v, want 2 1 false", d.Added, d.Removed, d.Truncated)
	}
	wantOps := "hunk context context context removed added context context context context context added context"
	var ops []string
	for _, l := range d.Lines {
		ops = append(ops, string(l.Op))
	}
	if diff := cmp.Diff(wantOps, strings.Join(ops, " ")); diff != "" {
		t.Errorf("ops (-want +got):\n%s\n%s", diff, strings.Join(got, "\n"))
	}
	if d.Lines[0].Text != "@@ -2,10 +2,11 @@" {
		t.Errorf("hunk header %q, want @@ -2,10 +2,11 @@", d.Lines[0].Text)
	}
	if l := d.Lines[4]; l.Text != "  4" || l.From != 5 || l.To != 0 {
		t.Errorf("removed line = %+v, want '  4' from line 5", l)
	}
	if l := d.Lines[5]; l.Text != "  four" || l.From != 0 || l.To != 5 {
		t.Errorf("added line = %+v, want '  four' at line 5", l)
	}

	// Past the budget: the first lines, the whole counts and a message.
	big := &FlowDiff{Name: "shop", From: 1, To: 2}
	var x, y []string
	for i := range 50 {
		x = append(x, fmt.Sprintf("a%d", i))
		y = append(y, fmt.Sprintf("b%d", i))
	}
	diffLines(big, x, y, 10)
	if len(big.Lines) != 10 || !big.Truncated || big.Added != 50 || big.Removed != 50 ||
		!strings.Contains(big.Message, "the diff has 101 lines (50 added, 50 removed); only the first 10 are shown") {
		t.Errorf("over the budget: %d lines, truncated %v, +%d -%d, %q", len(big.Lines), big.Truncated, big.Added, big.Removed, big.Message)
	}
}
