package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

func TestRender(t *testing.T) {
	t.Parallel()
	type customer struct{ Email, Name string }
	type order struct {
		ID       string
		Customer customer
	}
	mapData := map[string]any{"Order": map[string]any{"ID": "o-1", "Customer": map[string]any{"Email": "a@b.c"}}}
	structData := map[string]any{"Order": order{ID: "o-2", Customer: customer{Email: "d@e.f", Name: "Dora"}}}

	tests := []struct {
		name, text string
		data       any
		want       string
	}{
		{"map", "Order {{.Order.ID}} for {{.Order.Customer.Email}}", mapData, "Order o-1 for a@b.c"},
		{"struct", "Hi {{.Order.Customer.Name}}, order {{.Order.ID}}", structData, "Hi Dora, order o-2"},
		{"verbatim", "Thanks for your order! 100% {not a template}", nil, "Thanks for your order! 100% {not a template}"},
		{"verbatim with template-like text", "Use {.Order.ID} or }} as you like", mapData, "Use {.Order.ID} or }} as you like"},
		{"functions", `{{printf "%05d" .N}} {{if .Paid}}paid{{else}}due{{end}}`, map[string]any{"N": 42, "Paid": false}, "00042 due"},
	}
	for _, tt := range tests {
		got, err := email.Render(context.Background(), tt.name, tt.text, tt.data, nil)
		if err != nil || got != tt.want {
			t.Errorf("%s: Render = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	data := map[string]any{"Order": map[string]any{"ID": "o-1"}}
	tests := []struct {
		name, text string
		data       any
		want       string
	}{
		{"syntax", "Order {{.Order.ID", data, "template subject"},
		{"unknown function", "{{shout .Order.ID}}", data, `function "shout" not defined`},
		{"missing map key", "Hi {{.Order.Customer.Email}}", data, `map has no entry for key "Customer"`},
		{"missing struct field", "{{.Nope}}", struct{ ID string }{"o-1"}, "has no field or method Nope"},
	}
	for _, tt := range tests {
		_, err := email.Render(context.Background(), "subject", tt.text, tt.data, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "subject") {
			t.Errorf("%s: Render error = %v, want one naming the template and containing %q", tt.name, err, tt.want)
		}
		if !ordo.IsNonRetryable(err) {
			t.Errorf("%s: Render error %v is retryable; the same template fails again", tt.name, err)
		}
	}
}

// TestRenderPlainTextIsBounded: text without "{{" is sent as written, but
// not past the output bound either.
func TestRenderPlainTextIsBounded(t *testing.T) {
	t.Parallel()
	_, err := email.Render(context.Background(), "message", strings.Repeat("x", 101), nil, &email.Limits{MaxOutput: 100})
	var le *email.LimitError
	if !errors.As(err, &le) || le.Bound != email.BoundOutput || !ordo.IsNonRetryable(err) {
		t.Fatalf("error %v: want a non-retryable output LimitError", err)
	}
}
