package email

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"

	"github.com/ordohq/ordo"
)

// ParseOptions configure Parse; nil means the defaults.
type ParseOptions struct {
	// Data is the type of the value the template will be executed on. When
	// set, every field the template names is checked against it, through
	// pointers, structs (fields and methods) and maps with string keys, so
	// that a misspelt field is found when the flow is applied rather than
	// when the e-mail is due. Values of interface type (the any values of a
	// map[string]any) are not checked further. Default nil: fields are not
	// checked.
	Data reflect.Type
}

// Template is an e-mail template that Parse accepted. It is safe for
// concurrent use.
type Template struct {
	name string
	text string             // the text as given
	tmpl *template.Template // nil for text without "{{"
}

// TemplateError is a template that Parse refuses: it does not parse, or it
// breaks a rule of e-mail templates. Find it with errors.As.
type TemplateError struct {
	// Name is the template's name as given to Parse.
	Name string
	// Line and Column locate the offending action, from 1; 0 when Err
	// (a syntax error, which carries its own line) is set.
	Line, Column int
	// Reason says what is wrong.
	Reason string
	// Err is text/template's error when the template does not parse.
	Err error
}

// Error names the template, the place and the reason.
func (e *TemplateError) Error() string { return "email: template " + e.Name + ": " + e.Detail() }

// Detail is the error without the template's name: the place and the
// reason.
func (e *TemplateError) Detail() string {
	if e.Line == 0 {
		return e.Reason
	}
	return "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": " + e.Reason
}

// Unwrap returns text/template's error, or nil.
func (e *TemplateError) Unwrap() error { return e.Err }

// Parse parses text as an e-mail template named name (for example
// "subject", "message" or "recipients[0]"): Go's text/template syntax with
// missingkey=error, so that a misspelt map key fails instead of printing
// "<no value>". Text without "{{" is taken as it is. The function set is
// restricted (see funcs) and these are refused, each as a *TemplateError
// naming the line:
//
//   - {{define}}, {{block}} and {{template}}: one template per field;
//   - the builtin call, and calling a method with arguments (format times
//     with date, for example {{date "2 Jan 2006" .Order.CreatedAt}});
//   - {{range}} over a constant ({{range 5000}}): loops go over data;
//   - printf with a width or precision over MaxFormatWidth, or "*";
//   - with opts.Data set, a field the data does not have.
//
// Loops that pass these checks are still bounded when the template runs:
// see Execute.
func Parse(name, text string, opts *ParseOptions) (*Template, error) {
	t := &Template{name: name, text: text}
	if !strings.Contains(text, "{{") {
		return t, nil
	}
	if n := countControls(text); n > MaxControls {
		return nil, &TemplateError{Name: name, Reason: fmt.Sprintf(
			"%d {{if}}, {{else}}, {{range}} and {{with}} actions are more than the %d a template may hold", n, MaxControls)}
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(parseFuncs).Parse(text)
	if err != nil {
		return nil, &TemplateError{Name: name, Reason: err.Error(), Err: err}
	}
	var data reflect.Type
	if opts != nil {
		data = opts.Data
	}
	if err := check(tmpl, text, data); err != nil {
		return nil, err
	}
	if tmpl.Tree != nil {
		injectIterationChecks(tmpl.Tree.Root)
	}
	t.tmpl = tmpl
	return t, nil
}

// controlWords open (or continue) a control structure.
var controlWords = []string{"if", "else", "range", "with", "block", "define"}

// countControls counts the actions of text that start with a control word,
// before text/template parses (and nests) them. It counts words that a
// string or comment holds too: an overestimate only refuses text that is
// odd anyway.
func countControls(text string) int {
	n := 0
	for rest := text; ; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return n
		}
		rest = strings.TrimLeft(strings.TrimPrefix(rest[i+2:], "-"), " \t\r\n")
		for _, w := range controlWords {
			if strings.HasPrefix(rest, w) && !identChar(rest[len(w):]) {
				n++
				break
			}
		}
	}
}

// identChar reports whether s starts with a letter, digit or underscore.
func identChar(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

// Execute renders t over data within limits (nil: the defaults) and the
// context, normally the step's. The output is collected in a writer that
// fails past Limits.MaxOutput; every string a function builds is held to
// the same bound; every loop iteration is counted against
// Limits.MaxIterations; and the writer, each iteration and each function
// call stop the rendering once Limits.Timeout has passed or the context is
// done.
//
// A bound exceeded returns a *LimitError, and any other failure of the
// template (a missing map key, a nil pointer) an error naming the
// template; both are ordo.NonRetryable, since the same template over the
// same order fails again. Only a cancelled context (shutdown) returns a
// plain error wrapping context.Canceled, so that the step runs again.
func (t *Template) Execute(ctx context.Context, data any, limits *Limits) (string, error) {
	l := limits.withDefaults()
	b := &budget{ctx: ctx, name: t.name, limits: l}
	if t.tmpl == nil {
		if len(t.text) > l.MaxOutput {
			return "", ordo.NonRetryable(b.outputExceeded())
		}
		return t.text, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, l.Timeout, errRenderTimeout)
	defer cancel()
	b.ctx = ctx
	if err := b.check(); err != nil {
		return "", b.classify(err)
	}
	c, err := t.tmpl.Clone()
	if err != nil {
		return "", fmt.Errorf("email: template %s: %w", t.name, err)
	}
	c.Funcs(b.funcs())
	w := &cappedWriter{b: b}
	if err := c.Execute(w, data); err != nil {
		return "", b.classify(err)
	}
	return w.out.String(), nil
}

// classify turns an error of a rendering into Execute's result.
func (b *budget) classify(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return ordo.NonRetryable(le)
	}
	if errors.Is(b.ctx.Err(), context.Canceled) {
		return fmt.Errorf("email: template %s: rendering stopped: %w", b.name, b.ctx.Err())
	}
	return ordo.NonRetryable(fmt.Errorf("email: template %s: %w", b.name, err))
}
