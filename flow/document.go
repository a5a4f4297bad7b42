package flow

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// document is a decoded flow being validated: the generic JSON tree, where
// its steps are, and the problems found so far.
type document struct {
	root     any
	steps    []any    // the steps array; nil when the document has none
	base     []string // tokens of the steps array: none (array form) or "steps"
	problems []Problem
	silenced map[string]bool // paths at which add reports nothing more
	// templateData is the type e-mail templates are checked against; nil:
	// fields are not checked.
	templateData  reflect.Type
	skipTemplates bool // templates are not checked at all
	// limits says whether a limit name is declared; nil: not checked.
	limits func(name string) bool
}

func newDocument(root any) *document {
	d := &document{root: root}
	switch r := root.(type) {
	case []any:
		d.steps = r
	case map[string]any:
		if s, ok := r["steps"].([]any); ok {
			d.steps = s
			d.base = []string{"steps"}
		}
	}
	return d
}

// step returns step i as an object, or nil.
func (d *document) step(i int) map[string]any {
	if i < 0 || i >= len(d.steps) {
		return nil
	}
	m, _ := d.steps[i].(map[string]any)
	return m
}

// stepID returns the stepDefinitionId of step i when it is a non-empty
// string, else "".
func (d *document) stepID(i int) string {
	id, _ := d.step(i)["stepDefinitionId"].(string)
	return id
}

// stepType returns the type of step i when it is a string, else "".
func (d *document) stepType(i int) StepType {
	t, _ := d.step(i)["type"].(string)
	return StepType(t)
}

// locate splits a path into the step it is in and the tokens relative to
// that step. i is -1 for a path outside every step.
func (d *document) locate(tokens []string) (i int, rel []string) {
	if d.steps == nil || len(tokens) <= len(d.base) || !slices.Equal(tokens[:len(d.base)], d.base) {
		return -1, nil
	}
	n, err := strconv.Atoi(tokens[len(d.base)])
	if err != nil || n < 0 || n >= len(d.steps) {
		return -1, nil
	}
	return n, tokens[len(d.base)+1:]
}

// stepPath returns the tokens of a field of step i.
func (d *document) stepPath(i int, rel ...string) []string {
	p := append(slices.Clip(d.base), strconv.Itoa(i))
	return append(p, rel...)
}

// add records a problem at tokens, naming the step it is in, unless the
// path was silenced.
func (d *document) add(code string, tokens []string, format string, args ...any) {
	p := d.problem(code, tokens, format, args...)
	if d.silenced[p.Path] {
		return
	}
	d.problems = append(d.problems, p)
}

// silence makes add ignore later problems at exactly tokens.
func (d *document) silence(tokens []string) {
	if d.silenced == nil {
		d.silenced = map[string]bool{}
	}
	d.silenced[pointer(tokens)] = true
}

// abbreviate shortens a long literal for a message.
func abbreviate(s string) string {
	if len(s) <= 24 {
		return s
	}
	return s[:12] + "…" + s[len(s)-8:]
}

func (d *document) problem(code string, tokens []string, format string, args ...any) Problem {
	p := Problem{Path: pointer(tokens), Code: code, Message: fmt.Sprintf(format, args...)}
	if i, _ := d.locate(tokens); i >= 0 {
		p.Step = d.stepID(i)
	}
	return p
}

// label names the value at tokens for a message: "options.recipients[1]"
// inside a step, "step 2" for a whole step, "steps" or "flow" outside.
func (d *document) label(tokens []string) string {
	i, rel := d.locate(tokens)
	if i < 0 {
		if len(tokens) == 0 {
			return "flow"
		}
		return dotted(tokens)
	}
	if len(rel) == 0 {
		return "step " + strconv.Itoa(i)
	}
	return dotted(rel)
}

func dotted(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

// valueAt returns the value at tokens, or nil.
func (d *document) valueAt(tokens []string) any {
	v := d.root
	for _, t := range tokens {
		switch c := v.(type) {
		case map[string]any:
			v = c[t]
		case []any:
			n, err := strconv.Atoi(t)
			if err != nil || n < 0 || n >= len(c) {
				return nil
			}
			v = c[n]
		default:
			return nil
		}
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// show formats a JSON value for a message: strings quoted, numbers as
// written.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
