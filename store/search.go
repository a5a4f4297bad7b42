package store

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxFilterBytes bounds a text filter of a listing (workflow, custom
// status, ID prefix): longer ones cannot match anything stored.
const MaxFilterBytes = 1024

// ValidateList checks the filters of an InstanceList: text filters are at
// most MaxFilterBytes of UTF-8 without NUL, the status is known, the ID
// prefix printable ASCII, at most MaxAttributeFilters valid attributes,
// time bounds within the cursor's range and not crossed (an After later
// than its Before), the limit not negative. A problem is an *Error
// matching ErrInvalidArgument whose Field names the filter by its JSON
// name. Every backend calls it; InstanceList also refuses a cursor no
// listing returned.
func ValidateList(p *InstanceListParams) error {
	if p.Status != "" && !p.Status.Valid() {
		return fieldError("status", "unknown status %q (%s)", clip(string(p.Status)), StatusNames())
	}
	for _, f := range []struct{ field, v string }{
		{"workflow", p.Workflow}, {"workflowPrefix", p.WorkflowPrefix}, {"customStatus", p.CustomStatus},
		{"parentId", p.ParentID},
	} {
		if err := CheckFilter(f.field, f.v); err != nil {
			return err
		}
	}
	if p.NoCustomStatus && p.CustomStatus != "" {
		return fieldError("customStatus", "customStatus %q and noCustomStatus exclude each other", clip(p.CustomStatus))
	}
	if len(p.IDPrefix) > MaxFilterBytes {
		return fieldError("idPrefix", "at most %d bytes", MaxFilterBytes)
	}
	for i := 0; i < len(p.IDPrefix); i++ {
		if c := p.IDPrefix[i]; c <= ' ' || c >= 0x7f {
			return fieldError("idPrefix", "%q has the character %q; IDs are printable ASCII", clip(p.IDPrefix), rune(c))
		}
	}
	if len(p.Attributes) > MaxAttributeFilters {
		return fieldError("attributes", "%d attributes; a listing matches at most %d", len(p.Attributes), MaxAttributeFilters)
	}
	for _, a := range p.Attributes {
		if err := checkAttribute("attributes", a); err != nil {
			return err
		}
	}
	if err := checkRange("created", p.CreatedAfter, p.CreatedBefore); err != nil {
		return err
	}
	if err := checkRange("finished", p.FinishedAfter, p.FinishedBefore); err != nil {
		return err
	}
	if _, err := ListLimit(p.Limit); err != nil {
		return err
	}
	return nil
}

// CheckFilter checks one text filter of a listing: at most MaxFilterBytes
// of UTF-8 without NUL. field names it in the error.
func CheckFilter(field, v string) error {
	if len(v) > MaxFilterBytes || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return fieldError(field, "must be at most %d bytes of UTF-8 text without NUL", MaxFilterBytes)
	}
	return nil
}

// checkRange checks the After and Before bounds of one time filter.
func checkRange(name string, after, before time.Time) error {
	for _, b := range []struct {
		field string
		t     time.Time
	}{{name + "After", after}, {name + "Before", before}} {
		if b.t.IsZero() {
			continue
		}
		if us := b.t.UnixMicro(); us < minCursorMicros || us > maxCursorMicros {
			return fieldError(b.field, "%s is out of range (years 1 to 9999)", b.t.Format(time.RFC3339Nano))
		}
	}
	if !after.IsZero() && !before.IsZero() && after.After(before) {
		return fieldError(name+"After", "%s is after %sBefore %s", after.Format(time.RFC3339Nano), name,
			before.Format(time.RFC3339Nano))
	}
	return nil
}

// FoldCase returns s with ASCII letters lower-cased: how a custom status
// is compared (CustomStatus). Only ASCII folds, as SQLite's lower() and
// PostgreSQL's lower() in the "C" collation do, so every backend agrees.
func FoldCase(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.Map(func(r rune) rune {
				if 'A' <= r && r <= 'Z' {
					return r + ('a' - 'A')
				}
				return r
			}, s)
		}
	}
	return s
}

// PrefixEnd returns the smallest string greater than every string that
// starts with prefix, for a prefix ValidateList accepted as IDPrefix
// (printable ASCII, so its last byte can be incremented): a backend
// matches the prefix as the index range [prefix, PrefixEnd(prefix)).
func PrefixEnd(prefix string) string {
	return prefix[:len(prefix)-1] + string(rune(prefix[len(prefix)-1]+1))
}

// MatchesList reports whether in passes p's filters, given its attributes
// (normalised): the rule the memory backend applies, and the meaning of
// the SQL the others run.
func MatchesList(p *InstanceListParams, in *Instance, attrs []Attribute) bool {
	switch {
	case p.Workflow != "" && in.Workflow != p.Workflow,
		p.Status != "" && in.Status != p.Status,
		p.WorkflowPrefix != "" && !strings.HasPrefix(in.Workflow, p.WorkflowPrefix),
		p.CustomStatus != "" && FoldCase(in.CustomStatus) != FoldCase(p.CustomStatus),
		p.NoCustomStatus && in.CustomStatus != "",
		p.IDPrefix != "" && !strings.HasPrefix(in.ID, p.IDPrefix),
		p.ParentID != "" && in.ParentID != p.ParentID,
		!inRange(&in.CreatedAt, p.CreatedAfter, p.CreatedBefore),
		!inRange(in.FinishedAt, p.FinishedAfter, p.FinishedBefore),
		!HasAttributes(attrs, p.Attributes):
		return false
	}
	return true
}

// inRange reports whether t is within [after, before) at the stores'
// microsecond precision; a nil t is in range only when both are zero.
func inRange(t *time.Time, after, before time.Time) bool {
	if after.IsZero() && before.IsZero() {
		return true
	}
	if t == nil {
		return false
	}
	us := t.UnixMicro()
	return (after.IsZero() || us >= after.UnixMicro()) && (before.IsZero() || us < before.UnixMicro())
}

// FinishSkew is how much earlier than its creation a stored finish time
// may be (clocks of several workers disagree a little): no more, so a
// finish-time bound also bounds the creation time (CreatedBound).
const FinishSkew = time.Minute

// CreatedBound returns the creation-time upper bound (exclusive; zero for
// none) that p implies: CreatedBefore, or FinishedBefore + FinishSkew when
// earlier, since an instance finishes after it is created. A backend adds
// it to the query so that the newest-first scan of a finish-time range
// starts where the range ends rather than at the newest instance.
func CreatedBound(p *InstanceListParams) time.Time {
	b := p.CreatedBefore
	if !p.FinishedBefore.IsZero() {
		if f := p.FinishedBefore.Add(FinishSkew); b.IsZero() || f.Before(b) {
			b = f
		}
	}
	return b
}

// StatusNames lists the statuses for a message: "queued, running, ...".
func StatusNames() string {
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}
