package flow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of a flow document, checked when it is applied or validated,
// besides the request body limit. A stored flow read back with
// ParseOptions.SkipTemplateChecks is not held to them: it may have been
// stored before they existed.
const (
	// MaxSteps is the most steps a flow may have.
	MaxSteps = 1000
	// MaxNameChars is the most characters of a stepDefinitionId, a
	// successStatus or the cancelStatus. Both are also free of control characters: they are
	// step names in the engine's history and statuses of orders, which a
	// NUL would keep out of PostgreSQL's text columns.
	MaxNameChars = 200
	// MaxRecipients is the most recipients one send-email step may list.
	MaxRecipients = 100
	// MaxAddressBytes is the longest e-mail address a recipient may be
	// (RFC 5321's limit of a path).
	MaxAddressBytes = 254
	// MaxURIBytes is the longest options.uri.
	MaxURIBytes = 2048
)

// checkBounds reports the values past the bounds above; wrong JSON types
// are the schema's to report.
func (d *document) checkBounds() {
	if len(d.steps) > MaxSteps {
		d.add(CodeInvalidValue, d.base, "the flow has %d steps; at most %d are allowed", len(d.steps), MaxSteps)
	}
	if m, ok := d.root.(map[string]any); ok {
		if v, ok := m["cancelStatus"].(string); ok {
			d.checkName([]string{"cancelStatus"}, "cancelStatus", v)
		}
	}
	for i := range d.steps {
		s := d.step(i)
		if s == nil {
			continue
		}
		for _, f := range []string{"stepDefinitionId", "successStatus"} {
			if v, ok := s[f].(string); ok {
				d.checkName(d.stepPath(i, f), f, v)
			}
		}
		opts, _ := s["options"].(map[string]any)
		if uri, ok := opts["uri"].(string); ok && len(uri) > MaxURIBytes {
			d.add(CodeInvalidOption, d.stepPath(i, "options", "uri"),
				"options.uri is %d bytes long; at most %d are allowed", len(uri), MaxURIBytes)
		}
		rs, _ := opts["recipients"].([]any)
		if len(rs) > MaxRecipients {
			d.add(CodeInvalidOption, d.stepPath(i, "options", "recipients"),
				"options.recipients lists %d recipients; at most %d are allowed (send to a list address instead)", len(rs), MaxRecipients)
		}
		for j, r := range rs {
			if r, ok := r.(string); ok && !strings.Contains(r, "{{") && len(r) > MaxAddressBytes {
				d.add(CodeInvalidOption, d.stepPath(i, "options", "recipients", itoa(j)),
					"recipient is %d bytes long; an e-mail address has at most %d", len(r), MaxAddressBytes)
			}
		}
	}
}

// checkName checks a stepDefinitionId or successStatus: at most
// MaxNameChars characters, none of them a control character.
func (d *document) checkName(p []string, field, v string) {
	if n := utf8.RuneCountInString(v); n > MaxNameChars {
		d.add(CodeInvalidValue, p, "%s is %d characters long; at most %d are allowed", field, n, MaxNameChars)
		return
	}
	for k, r := range v {
		if unicode.IsControl(r) {
			d.add(CodeInvalidValue, p, "%s %q has the control character %U at byte %d; use printable text", field, v, r, k)
			return
		}
	}
}
