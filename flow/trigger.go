package flow

import (
	"strconv"

	"github.com/ordohq/ordo/internal/eventfilter"
)

// CodeInvalidTrigger: a trigger whose event type is not an id or whose
// "if" is not a CEL expression giving a bool over type, id and payload.
const CodeInvalidTrigger = "invalid_trigger"

// Trigger is one entry of a flow's "triggers": a published event type
// that starts an order of the flow, and an optional filter.
type Trigger struct {
	// Event is "event": the event type ("order.placed").
	Event string `json:"event"`
	// If is "if": a CEL expression over type, id and payload
	// ("payload.total > 100"); "" for every event of the type.
	If string `json:"if,omitempty"`
}

// checkTriggers checks the event types and compiles the filters of the
// object form's triggers. Wrong types and unknown fields are the schema's.
func (d *document) checkTriggers() {
	m, ok := d.root.(map[string]any)
	if !ok {
		return
	}
	ts, _ := m["triggers"].([]any)
	for i, t := range ts {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		at := func(f string) []string { return []string{"triggers", strconv.Itoa(i), f} }
		if ev, ok := tm["event"].(string); ok && ev != "" {
			if msg := eventTypeProblem(ev); msg != "" {
				d.add(CodeInvalidTrigger, at("event"), "triggers[%d].event %q %s", i, abbreviate(ev), msg)
			}
		}
		if cond, ok := tm["if"].(string); ok && cond != "" {
			if _, err := eventfilter.Compile(cond); err != nil {
				d.add(CodeInvalidTrigger, at("if"), "triggers[%d].if: %s", i, err.Error())
			}
		}
	}
}

// eventTypeProblem says what makes ev no event type, or "".
func eventTypeProblem(ev string) string {
	if c := ev[0]; !isAlnum(c) {
		return "must start with a letter or a digit"
	}
	for i := 0; i < len(ev); i++ {
		c := ev[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' && c != ':' {
			return "has the character " + strconv.QuoteRune(rune(c)) + " at position " + strconv.Itoa(i+1) +
				"; event types use letters, digits and -_.: only"
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// buildTriggers reads the validated "triggers" value.
func buildTriggers(v any) []*Trigger {
	ts, _ := v.([]any)
	var out []*Trigger
	for _, t := range ts {
		tm := t.(map[string]any)
		tr := &Trigger{Event: tm["event"].(string)}
		tr.If, _ = tm["if"].(string)
		out = append(out, tr)
	}
	return out
}
