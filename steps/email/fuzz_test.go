package email_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

// FuzzRender parses and renders arbitrary templates over an order. Whatever
// the text, Parse refuses it with a *TemplateError or the rendering ends:
// within the output bound, without panicking, soon after the time bound,
// and with an error that is non-retryable (the context is never
// cancelled here). The seeds are the hostile templates and what merchants
// write.
//
//	go test -run '^$' -fuzz FuzzRender ./steps/email
func FuzzRender(f *testing.F) {
	for _, text := range hostileTemplates {
		f.Add(text)
	}
	for _, text := range []string{
		"Hi {{.Order.Customer.Name}}, thanks for order {{.Order.ID}}!",
		"{{range $i, $it := .Order.Items}}{{if $i}}, {{end}}{{printf \"%-8s|%3d\" $it.SKU $it.Quantity}}{{end}}",
		`{{with index .Order.Metadata "note"}}Note: {{.}}{{end}} {{date "2 Jan 2006" .Order.CreatedAt}}`,
		`{{range $k, $v := .Order.Metadata}}{{$k}}={{$v | html}};{{else}}none{{end}}`,
		"plain text, 100% {not} a template",
		// Accepted at apply, failing (or printing much) when they run.
		"{{index .Order.Items 99999}}", "{{len .Order}}", "{{slice .Order.ID 0 99999}}", "{{and}}", "{{not}}",
		"{{printf}}", "{{index}}", "{{len 1}}", `{{printf "%v" .}}`, "{{js .}}", "{{html .Order}}",
		"{{eq .Order.ID 1 2 3}}", "\x00{{.Order.ID}}\r\nBcc: x@example.com",
		"{{range .Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}x{{end}}{{end}}{{end}}{{end}}",
	} {
		f.Add(text)
	}
	limits := &email.Limits{MaxOutput: 4096, MaxIterations: 5000, Timeout: 200 * time.Millisecond}
	data := sampleData(40)
	data.Order.Metadata["blob"] = "<blob & 'quotes'>"
	// With the data type, fields are checked at Parse; without, a wrong
	// field fails when the template runs.
	opts := []*email.ParseOptions{{Data: dataType}, nil}
	f.Fuzz(func(t *testing.T, text string) {
		for _, o := range opts {
			start := time.Now()
			tmpl, err := email.Parse("fuzz", text, o)
			if err != nil {
				var te *email.TemplateError
				if !errors.As(err, &te) || te.Name != "fuzz" {
					t.Fatalf("Parse error %v is not a *TemplateError naming the template", err)
				}
				continue
			}
			out, err := tmpl.Execute(context.Background(), data, limits)
			if len(out) > limits.MaxOutput {
				t.Fatalf("rendered %d bytes, more than the bound of %d", len(out), limits.MaxOutput)
			}
			if err != nil && (out != "" || !ordo.IsNonRetryable(err)) {
				t.Fatalf("Execute = %d bytes, %v; want no output and a non-retryable error", len(out), err)
			}
			if d := time.Since(start); d > limits.Timeout+5*time.Second {
				t.Fatalf("took %s, the time bound is %s", d, limits.Timeout)
			}
		}
	})
}
