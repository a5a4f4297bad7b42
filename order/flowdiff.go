package order

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// MaxDiffLines is the budget of a flow diff: the most lines (context,
// added, removed and hunk headers) one diff returns. Past it the diff
// stops, Truncated is set and Message says how much is left out.
const MaxDiffLines = 2000

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// DiffOp says what a diff line is.
type DiffOp string

const (
	DiffContext DiffOp = "context" // in both versions
	DiffAdded   DiffOp = "added"   // only in the newer ("to") version
	DiffRemoved DiffOp = "removed" // only in the older ("from") version
	DiffHunk    DiffOp = "hunk"    // the start of a hunk: "@@ -1,7 +1,8 @@"
)

// DiffLine is one line of a flow diff, with its line numbers in the
// pretty-printed JSON of each version (0 where it has none).
type DiffLine struct {
	Op   DiffOp `json:"op"`
	Text string `json:"text"`
	From int    `json:"from,omitempty"`
	To   int    `json:"to,omitempty"`
}

// FlowDiff is a line diff of two versions of a flow, as
// GET /v1/flows/{name}/diff answers it: the versions' definitions
// pretty-printed (two-space JSON) and compared line by line, in hunks with
// three lines of context.
type FlowDiff struct {
	Name string `json:"name"`
	From int    `json:"from"`
	To   int    `json:"to"`
	// Added and Removed count the changed lines of the whole diff, also
	// when it was truncated.
	Added   int        `json:"added"`
	Removed int        `json:"removed"`
	Lines   []DiffLine `json:"lines"`
	// Truncated is set when the diff has more than MaxDiffLines lines;
	// Message then says so.
	Truncated bool   `json:"truncated,omitempty"`
	Message   string `json:"message,omitempty"`
}

// FlowDiff compares two versions of a flow (either order: from may be
// newer than to). An unknown flow or version wraps ordo.ErrNotFound; a
// version below 1 wraps ordo.ErrInvalidArgument.
func (s *Service) FlowDiff(ctx context.Context, name string, from, to int) (*FlowDiff, error) {
	if from < 1 || to < 1 {
		return nil, fmt.Errorf("%w: versions to compare must be at least 1, got %d and %d", ordo.ErrInvalidArgument, from, to)
	}
	var text [2][]string
	for i, version := range []int{from, to} {
		v, err := s.Flow(ctx, name, version)
		if err != nil {
			return nil, err
		}
		if text[i], err = prettyLines(v.Definition); err != nil {
			return nil, fmt.Errorf("flow %q version %d: %w", name, version, err)
		}
	}
	d := &FlowDiff{Name: name, From: from, To: to, Lines: []DiffLine{}}
	diffLines(d, text[0], text[1], MaxDiffLines)
	return d, nil
}

// prettyLines returns a definition as two-space indented JSON lines.
func prettyLines(def json.RawMessage) ([]string, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, def, "", "  "); err != nil {
		return nil, err
	}
	return strings.Split(b.String(), "\n"), nil
}

// diffLines fills d with the hunks of a line diff of a and b, at most
// budget lines, counting every change.
func diffLines(d *FlowDiff, a, b []string, budget int) {
	m := difflib.NewMatcher(a, b)
	total := 0
	add := func(l DiffLine) {
		total++
		if len(d.Lines) < budget {
			d.Lines = append(d.Lines, l)
		}
	}
	for _, group := range m.GetGroupedOpCodes(diffContext) {
		first, last := group[0], group[len(group)-1]
		add(DiffLine{Op: DiffHunk, Text: "@@ -" + hunkRange(first.I1, last.I2) + " +" + hunkRange(first.J1, last.J2) + " @@"})
		for _, c := range group {
			if c.Tag == 'e' {
				for i := c.I1; i < c.I2; i++ {
					add(DiffLine{Op: DiffContext, Text: a[i], From: i + 1, To: c.J1 + i - c.I1 + 1})
				}
				continue
			}
			if c.Tag == 'r' || c.Tag == 'd' {
				for i := c.I1; i < c.I2; i++ {
					d.Removed++
					add(DiffLine{Op: DiffRemoved, Text: a[i], From: i + 1})
				}
			}
			if c.Tag == 'r' || c.Tag == 'i' {
				for j := c.J1; j < c.J2; j++ {
					d.Added++
					add(DiffLine{Op: DiffAdded, Text: b[j], To: j + 1})
				}
			}
		}
	}
	if total > budget {
		d.Truncated = true
		d.Message = fmt.Sprintf("the diff has %d lines (%d added, %d removed); only the first %d are shown: "+
			"compare the whole versions with ordo flows get %s --version %d and --version %d",
			total, d.Added, d.Removed, budget, d.Name, d.From, d.To)
	}
}

// hunkRange is a unified diff's range of lines [i1, i2): "start,count".
func hunkRange(i1, i2 int) string {
	n := i2 - i1
	start := i1 + 1
	if n == 0 {
		start = i1
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}

// FlowVersionInfo is one version of a flow as the flows page lists it:
// the version (without its definition) and how many orders run on it.
type FlowVersionInfo struct {
	*store.FlowVersion
	// Orders counts the orders created on this version, whatever their
	// status; -1 when the store cannot count them.
	Orders int `json:"orders"`
}

// FlowVersions returns every version of a flow, oldest first, each with
// how many orders run on it (one grouped query over the flow's orders,
// store.ParamCountStore). An unknown flow wraps ordo.ErrNotFound.
func (s *Service) FlowVersions(ctx context.Context, name string) ([]FlowVersionInfo, error) {
	vs, err := s.cfg.Store.FlowVersions(ctx, name)
	if err != nil {
		return nil, flowStoreErr(name, 0, err)
	}
	var counts map[string]int
	if pc, ok := s.eng.Store().(store.ParamCountStore); ok {
		if counts, err = pc.InstanceCountByParam(ctx, WorkflowName(name), "version"); err != nil {
			return nil, fmt.Errorf("count orders of flow %q: %w", name, err)
		}
	}
	out := make([]FlowVersionInfo, len(vs))
	for i, v := range vs {
		n := -1
		if counts != nil {
			n = counts[strconv.Itoa(v.Version)]
		}
		out[i] = FlowVersionInfo{FlowVersion: v, Orders: n}
	}
	return out, nil
}
