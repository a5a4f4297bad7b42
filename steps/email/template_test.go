package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordohq/ordo/steps/email"
)

// TestMerchantTemplates: what shops write still renders: the customer's
// name, loops over items, conditionals, formatting, dates and metadata.
func TestMerchantTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"greeting", "Hi {{.Order.Customer.Name}}, thanks for order {{.Order.ID}}!", "Hi Ada Lovelace, thanks for order ord-1!"},
		{"items", "{{range .Order.Items}}{{.Quantity}} x {{.SKU}}\n{{end}}", "1 x RING-7\n2 x SKU-1\n3 x SKU-2\n"},
		{"items with index", `{{range $i, $it := .Order.Items}}{{if $i}}, {{end}}{{$it.SKU}}{{end}}`, "RING-7, SKU-1, SKU-2"},
		{"plural", `{{len .Order.Items}} {{if gt (len .Order.Items) 1}}items{{else}}item{{end}}`, "3 items"},
		{"with else", `{{with .Order.FinishedAt}}done{{else}}open{{end}}`, "open"},
		{"table", `{{range .Order.Items}}{{printf "%-8s|%3d" .SKU .Quantity}};{{end}}`, "RING-7  |  1;SKU-1   |  2;SKU-2   |  3;"},
		{"parameters", `{{range .Order.Items}}{{with .Product}}{{.Template}} size {{index .Parameters "size"}}{{end}}{{end}}`, "ring size 7"},
		{"metadata", `{{with index .Order.Metadata "note"}}Note: {{.}}{{end}}{{with index .Order.Metadata "none"}}never{{end}}`, "Note: gift wrap"},
		{"metadata loop", `{{range $k, $v := .Order.Metadata}}{{$k}}={{$v}};{{end}}`, "channel=web;note=gift wrap;"},
		{"date", `{{date "2 January 2006" .Order.CreatedAt}}`, "29 March 2026"},
		{"date piped", `{{.Order.CreatedAt | date "2006-01-02"}} {{date "2006" .Order.FinishedAt}}.`, "2026-03-29 ."},
		{"method without arguments", `{{.Order.CreatedAt.Year}}`, "2026"},
		{"status switch", `{{if eq .Order.Status "Paid"}}paid{{else if eq .Order.Status "Failed"}}failed{{end}}`, "paid"},
		{"escaping", `{{html "<b>"}} {{urlquery "a b"}} {{js "it's"}}`, `&lt;b&gt; a+b it\'s`},
		{"variables", `{{$n := .Order.Customer.Name}}{{$n = print $n "!"}}{{$n}}`, "Ada Lovelace!"},
		{"break", `{{range .Order.Items}}{{if eq .SKU "SKU-1"}}{{break}}{{end}}{{.SKU}}{{end}}`, "RING-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := email.Parse("message", tt.text, &email.ParseOptions{Data: dataType})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tmpl.Execute(context.Background(), sampleData(3), nil)
			if err != nil || got != tt.want {
				t.Fatalf("Execute = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestParseRefuses: constructs that could cost without bound, or that
// name fields the order does not have, are refused when the flow is
// applied, with the line and a reason.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"the crash template", `{{range 5000}}{{printf "%0999999d" 0}}{{end}}`, "{{range 5000}} loops over a constant"},
		{"huge width", `{{printf "%0999999d" 0}}`, `width 999999 is more than 100`},
		{"huge precision", `{{printf "%.1000f" 1.5}}`, `precision 1000 is more than 100`},
		{"width of many digits", `{{printf "%99999999999999999999999d" 0}}`, `width 999999999999… is more than 100`},
		{"piped format", `{{0 | printf "%[1]0999999d"}}`, `width 0999999 is more than 100`},
		{"star width", `{{printf "%*d" 999999 0}}`, "(*) is not allowed"},
		{"star precision", `{{printf "%.*f" 999999 1.0}}`, "(*) is not allowed"},
		{"range over a number", `{{range 1000000000}}{{end}}`, "loops over a constant"},
		{"range over a constant variable", "x\n{{$n := 1000000000}}{{range $n}}{{end}}", "line 2, column 29: {{range $n}} loops over a constant"},
		{"range over a reassigned constant", `{{$n := .Order.Items}}{{$n = 7}}{{range $n}}{{end}}`, "loops over a constant"},
		{"range over a string", `{{range "abc"}}{{end}}`, "loops over a constant"},
		{"range over a parenthesized constant", `{{range (5000)}}{{end}}`, "loops over a constant"},
		{"define", `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`, `{{define "a"}} and {{block}} are not allowed`},
		{"block", `{{block "b" .}}x{{end}}`, `{{define "b"}} and {{block}} are not allowed`},
		{"template", `{{template "other"}}`, `{{template "other"}} is not allowed`},
		{"call", `{{call .Order.ID}}`, "the function call is not allowed"},
		{"method with arguments", `{{.Order.CreatedAt.Format "2006"}}`, ".Order.CreatedAt.Format is called with arguments"},
		{"method with piped argument", `{{"2006" | .Order.CreatedAt.Format}}`, "is called with arguments"},
		{"variable method with arguments", `{{$t := .Order.CreatedAt}}{{$t.AddDate 1 0 0}}`, "$t.AddDate is called with arguments"},
		{"method that needs arguments", `{{.Order.CreatedAt.Format}}`, "method Format of time.Time takes arguments"},
		{"unknown field", `{{.Order.Customer.Mail}}`, "email_test.testCustomer has no field or method Mail (fields: Name, Email)"},
		{"field case", `Hi {{.Order.customer.Name}}`, "line 1, column 12: .Order.customer.Name: email_test.testOrder has no field or method customer (did you mean Customer?)"},
		{"unknown field in a loop", `{{range .Order.Items}}{{.Sku}}{{end}}`, "has no field or method Sku (did you mean SKU?)"},
		{"unknown field of a loop variable", `{{range $i, $it := .Order.Items}}{{$it.Price}}{{end}}`, "$it.Price: email_test.testItem has no field or method Price"},
		{"unknown field in with", `{{with .Order.Customer}}{{.Phone}}{{end}}`, "has no field or method Phone"},
		{"unknown field from the root", `{{range .Order.Items}}{{$.Order.Total}}{{end}}`, "has no field or method Total"},
		{"field of a string", `{{.Order.ID.Length}}`, "string has no fields, so not Length"},
		{"unknown field through a pointer", `{{range .Order.Items}}{{.Product.Name}}{{end}}`, "email_test.testProduct has no field or method Name"},
		{"unknown field in a chain", `{{(.Order.Customer).Phone}}`, "has no field or method Phone"},
		{"deep nesting", strings.Repeat("{{if .Order}}", 600) + strings.Repeat("{{- else if .Order}}", 401) + strings.Repeat("{{end}}", 600),
			"1001 {{if}}, {{else}}, {{range}} and {{with}} actions are more than the 1000"},
		{"syntax", `Order {{.Order.ID`, "unclosed action"},
		{"unknown function", `{{upper .Order.ID}}`, `function "upper" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := email.Parse("message", tt.text, &email.ParseOptions{Data: dataType})
			var te *email.TemplateError
			if !errors.As(err, &te) || te.Name != "message" {
				t.Fatalf("Parse(%q) = %v, want a *TemplateError naming the template", tt.text, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error %q does not contain %q", tt.text, err, tt.want)
			}
		})
	}
}

// TestParseWithoutDataType: without ParseOptions.Data the rules still
// hold, but fields are not checked.
func TestParseWithoutDataType(t *testing.T) {
	t.Parallel()
	if _, err := email.Parse("m", `{{.Anything.Goes}}`, nil); err != nil {
		t.Errorf("Parse without a data type: %v", err)
	}
	if _, err := email.Parse("m", `{{range 5}}{{end}}`, nil); err == nil {
		t.Error("Parse without a data type accepted a loop over a constant")
	}
	// Metadata is map[string]any: any key below it may exist.
	if _, err := email.Parse("m", `{{.Order.Metadata.gift.from}}`, &email.ParseOptions{Data: dataType}); err != nil {
		t.Errorf("Parse of a metadata key: %v", err)
	}
}
