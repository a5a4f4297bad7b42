package flow

import (
	"encoding/json"
	"errors"
	"net/mail"
	"net/url"
	"strings"

	"github.com/ordohq/ordo/steps/email"
)

// checkSemantics runs the checks the schema cannot express. It looks only at
// values of the right JSON type: wrong types, missing fields and unknown
// fields are the schema's to report, so nothing is reported twice.
func (d *document) checkSemantics() {
	if !d.skipTemplates {
		// A stored flow read back (SkipTemplateChecks) may predate the
		// bounds; its orders must still load.
		d.checkBounds()
	}
	if m, ok := d.root.(map[string]any); ok {
		d.checkRetention(m["retention"])
		d.checkConcurrency(m["concurrency"])
	}
	ids := d.checkIDs()
	for i := range d.steps {
		s := d.step(i)
		if s == nil {
			continue
		}
		if opts, ok := s["options"].(map[string]any); ok {
			d.checkOptions(i, opts)
		}
		d.checkDuration(d.stepPath(i, "timeout"), s["timeout"], CodeInvalidTimeout)
		if r, ok := s["retries"].(map[string]any); ok {
			d.checkDuration(d.stepPath(i, "retries", "delay"), r["delay"], CodeInvalidRetries)
		}
		for _, f := range []string{"onSuccess", "onError"} {
			target, ok := s[f].(string)
			if !ok {
				continue
			}
			if _, found := ids[target]; !found {
				p := d.stepPath(i, f)
				if target == "" {
					d.add(CodeUnknownStep, p, "%s is empty; leave it out or use null for none", f)
				} else {
					d.add(CodeUnknownStep, p, "%s %q names no step of this flow", f, target)
				}
			}
		}
		d.checkCompensation(i, ids)
		if name, ok := s["limit"].(string); ok && d.limits != nil && !d.limits(name) {
			d.add(CodeUnknownLimit, d.stepPath(i, "limit"), "limit %q is not declared by the server (ordo serve --limit %s=N)", name, name)
		}
	}
	d.checkCycles(ids)
}

// checkCompensation checks step i's onCompensate: it names another step
// of the flow.
func (d *document) checkCompensation(i int, ids map[string]int) {
	target, ok := d.step(i)["onCompensate"].(string)
	if !ok {
		return
	}
	p := d.stepPath(i, "onCompensate")
	j, found := ids[target]
	switch {
	case target == "":
		d.add(CodeUnknownStep, p, "onCompensate is empty; leave it out or use null for none")
	case !found:
		d.add(CodeUnknownStep, p, "onCompensate %q names no step of this flow", target)
	case j == i:
		d.add(CodeInvalidCompensation, p, "step %q cannot compensate itself; name the step that undoes it (a refund, an apology)", target)
	}
}

// checkIDs reports repeated step ids and returns the index of the first step
// with each id.
func (d *document) checkIDs() map[string]int {
	ids := map[string]int{}
	for i := range d.steps {
		id := d.stepID(i)
		if id == "" {
			continue
		}
		if first, dup := ids[id]; dup {
			d.add(CodeDuplicateID, d.stepPath(i, "stepDefinitionId"),
				"stepDefinitionId %q is already used by the step at %s", id, pointer(d.stepPath(first)))
			continue
		}
		ids[id] = i
	}
	return ids
}

func (d *document) checkOptions(i int, opts map[string]any) {
	switch d.stepType(i) {
	case TypeConsumeRestAPI:
		if uri, ok := opts["uri"].(string); ok {
			if !absoluteHTTP(uri) {
				d.add(CodeInvalidOption, d.stepPath(i, "options", "uri"),
					"options.uri %q is not an absolute http or https URL", uri)
			}
		}
	case TypeSendEmail:
		if rs, ok := opts["recipients"].([]any); ok {
			for j, r := range rs {
				if r, ok := r.(string); ok {
					d.checkRecipient(d.stepPath(i, "options", "recipients", itoa(j)), r)
				}
			}
		}
		for _, f := range []string{"subject", "message"} {
			if text, ok := opts[f].(string); ok {
				d.checkTemplate(d.stepPath(i, "options", f), text)
			}
		}
	}
}

// absoluteHTTP reports whether s is an absolute http or https URL with a
// host.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Hostname() == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// checkRecipient accepts an e-mail address net/mail can parse, or a Go
// template (text containing "{{") that checkTemplate accepts.
func (d *document) checkRecipient(p []string, r string) {
	if strings.Contains(r, "{{") {
		d.checkTemplate(p, r)
		return
	}
	if _, err := mail.ParseAddress(r); err != nil {
		d.add(CodeInvalidOption, p, "%s %q is neither an e-mail address (%v) nor a Go template", d.label(p), r, err)
	}
}

// checkTemplate checks a recipient, subject or message the way the
// send-email step will parse it (email.Parse): syntax, the rules of e-mail
// templates and, with a template data type, the fields it names.
func (d *document) checkTemplate(p []string, text string) {
	if d.skipTemplates {
		return
	}
	_, err := email.Parse(d.label(p), text, &email.ParseOptions{Data: d.templateData})
	var te *email.TemplateError
	if errors.As(err, &te) {
		d.add(CodeInvalidOption, p, "%s is not a valid Go template: %s", d.label(p), te.Detail())
	} else if err != nil {
		d.add(CodeInvalidOption, p, "%s is not a valid Go template: %v", d.label(p), err)
	}
}

// checkDuration checks a timeout or retry delay. Non-positive numbers are
// left to the schema (exclusiveMinimum), other JSON types too.
func (d *document) checkDuration(p []string, v any, code string) {
	_, isNum := v.(json.Number)
	_, isStr := v.(string)
	if !isNum && !isStr {
		return
	}
	_, err := readDuration(v)
	name := d.label(p)
	switch {
	case err == nil:
	case errors.Is(err, errDurationNotPositive):
		if isStr {
			d.add(code, p, "%s must be positive, got %s", name, show(v))
		}
	case errors.Is(err, errDurationTooLarge):
		d.add(code, p, "%s %s is too large; the longest is 2562047h47m16.854775807s", name, show(v))
	case errors.Is(err, errDurationTooSmall):
		d.add(code, p, "%s %s is shorter than 1ns (0.000001 milliseconds)", name, show(v))
	default:
		d.add(code, p, "%s %s is not a duration; write milliseconds as a number (30000) or a string such as \"30s\", \"1m30s\" or \"30 seconds\"", name, show(v))
	}
}

// checkRetention checks the flow's retention (readRetention); other JSON
// types are the schema's to report.
func (d *document) checkRetention(v any) {
	_, isNum := v.(json.Number)
	_, isStr := v.(string)
	if !isNum && !isStr {
		return
	}
	p := []string{"retention"}
	switch _, err := readRetention(v); {
	case err == nil:
	case errors.Is(err, errDurationNotPositive):
		d.add(CodeInvalidRetention, p, "retention must not be negative, got %s; 0 keeps orders forever", show(v))
	case errors.Is(err, errDurationTooLarge):
		d.add(CodeInvalidRetention, p, "retention %s is too large; the longest is 2562047h47m16.854775807s (use 0 to keep orders forever)", show(v))
	default:
		d.add(CodeInvalidRetention, p, "retention %s is not a duration; write a string such as \"90d\", \"90 days\" or \"2160h\", milliseconds as a number, or 0 to keep orders forever", show(v))
	}
}
