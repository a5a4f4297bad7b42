package email

import (
	"fmt"
	"strings"
	"text/template"
)

// Render expands text as a text/template over data and returns the result;
// name identifies the template in errors (for example "subject" or
// "body"). Text without "{{" is returned as it is, so plain subjects and
// bodies need no escaping. A key missing from a map in data is an error
// (missingkey=error), as is a field missing from a struct, so that a typo
// in a flow fails the step instead of sending "<no value>" to a customer.
func Render(name, text string, data any) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("email: template %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("email: template %s: %w", name, err)
	}
	return b.String(), nil
}
