package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Parse reads a flow document (the seed's JSON array of step definitions,
// or an object {"description": ..., "steps": [...]}) and validates it
// against the schema and the rules the schema cannot express.
//
// A valid flow returns a Result with its Definition and any Warnings, and a
// nil error. An invalid flow returns a *ValidationError listing every
// problem, together with a Result holding the same Problems (and the
// Warnings found so far) but no Definition. Any other error is an internal
// failure, not a property of data.
//
// Parse checks the templates of send-email steps against the rules of
// e-mail templates (package steps/email) but not the fields they name;
// ParseWith with ParseOptions.TemplateData checks those too.
func Parse(data []byte) (*Result, error) {
	return ParseWith(data, nil)
}

// ParseOptions configure ParseWith; nil means the defaults.
type ParseOptions struct {
	// TemplateData is the type of the value send-email templates are
	// executed on (order.TemplateData for order flows). When set, every
	// field a recipient, subject or message names is checked against it,
	// so that {{.Order.Customer.Mail}} is a validation problem instead of a
	// failed e-mail. Default nil: fields are not checked, as when a stored
	// flow is read again.
	TemplateData reflect.Type
	// SkipTemplateChecks leaves templates unchecked, for a flow that was
	// validated when it was applied and is read back from storage: the
	// send-email step checks its templates again when it runs, so a rule
	// added since fails that step (and follows its onError), not every
	// order of the flow. Default false.
	SkipTemplateChecks bool
	// Limits, if set, says whether a step's "limit" names a limit the
	// server declares; one that does not is a problem (code
	// unknown_limit, path /steps/N/limit). Default nil: names are not
	// checked, as when a stored flow is read again.
	Limits func(name string) bool
}

// ParseWith is Parse with options.
func ParseWith(data []byte, opts *ParseOptions) (*Result, error) {
	t, syntax := decodeTree(data)
	if syntax != nil {
		ps := []Problem{*syntax}
		return &Result{Problems: ps}, &ValidationError{Problems: ps}
	}
	d := newDocument(t.root)
	if opts != nil {
		d.templateData = opts.TemplateData
		d.skipTemplates = opts.SkipTemplateChecks
		d.limits = opts.Limits
	}
	for _, p := range t.dups {
		d.add(CodeDuplicateField, p, "field %q appears more than once in the same object", p[len(p)-1])
	}
	for i, p := range t.badNumbers {
		d.add(CodeInvalidValue, p, "%s: number %s is out of range (at most %d characters, exponent within ±%d)",
			d.label(p), abbreviate(t.numbers[i]), maxNumberLen, maxNumberExponent)
		// The null standing in for the number is not the user's: say
		// nothing more about this path.
		d.silence(p)
	}
	if err := d.validateSchema(); err != nil {
		return nil, err
	}
	d.checkSemantics()
	d.checkTriggers()
	res := &Result{
		Problems: sortProblems(d.problems),
		Warnings: sortProblems(d.unreachable()),
	}
	if len(res.Problems) > 0 {
		return res, &ValidationError{Problems: res.Problems}
	}
	def, err := d.build()
	if err != nil {
		return nil, fmt.Errorf("flow: build a validated definition: %w", err)
	}
	res.Definition = def
	return res, nil
}

// build converts a validated tree into a Definition.
func (d *document) build() (*Definition, error) {
	def := &Definition{}
	if m, ok := d.root.(map[string]any); ok {
		def.Description, _ = m["description"].(string)
		def.Triggers = buildTriggers(m["triggers"])
		def.CancelStatus, _ = m["cancelStatus"].(string)
		def.AllowCancelAfterCompletion, _ = m["allowCancelAfterCompletion"].(bool)
		if v, ok := m["retention"]; ok && v != nil {
			r, err := readRetention(v)
			if err != nil {
				return nil, fmt.Errorf("retention: %w", err)
			}
			def.Retention = &r
		}
		def.Concurrency = buildConcurrency(m["concurrency"])
	}
	for i := range d.steps {
		s := d.step(i)
		step := &StepDefinition{
			ID:            s["stepDefinitionId"].(string),
			Type:          StepType(s["type"].(string)),
			SuccessStatus: s["successStatus"].(string),
		}
		step.OnSuccess, _ = s["onSuccess"].(string)
		step.OnError, _ = s["onError"].(string)
		step.OnCompensate, _ = s["onCompensate"].(string)
		step.Limit, _ = s["limit"].(string)
		var err error
		if step.Options, err = compactJSON(s["options"]); err != nil {
			return nil, err
		}
		if step.Timeout, err = readDuration(s["timeout"]); err != nil {
			return nil, fmt.Errorf("step %q: timeout: %w", step.ID, err)
		}
		if r, ok := s["retries"].(map[string]any); ok {
			p := &RetryPolicy{}
			if n, ok := r["limit"].(json.Number); ok {
				dec, _ := parseDecimal(string(n), 0)
				limit := int(dec.v)
				p.Limit = &limit
			}
			if p.Delay, err = readDuration(r["delay"]); err != nil {
				return nil, fmt.Errorf("step %q: retries.delay: %w", step.ID, err)
			}
			p.Backoff, _ = r["backoff"].(string)
			if !p.isZero() {
				step.Retries = p
			}
		}
		def.Steps = append(def.Steps, step)
	}
	return def, nil
}

// compactJSON encodes v compactly with sorted object keys and without
// escaping <, > and &, so that templates stay readable.
func compactJSON(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
