package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

// TestExecuteBounds: templates that pass Parse but would cost without
// bound are stopped by the output cap, the iteration budget or the time
// bound, each as a non-retryable *LimitError naming the template.
func TestExecuteBounds(t *testing.T) {
	t.Parallel()
	blob := strings.Repeat("x", 1000)
	tests := []struct {
		name   string
		text   string
		items  int
		limits email.Limits
		bound  email.Bound
		want   string
	}{
		{"output cap", `{{range .Order.Items}}{{$.Order.Metadata.blob}}{{end}}`, 300, email.Limits{},
			email.BoundOutput, "template message exceeded its output bound of 262144 bytes (Limits.MaxOutput)"},
		{"configured output cap", `{{range .Order.Items}}{{.SKU}}{{end}}`, 300, email.Limits{MaxOutput: 64},
			email.BoundOutput, "bound of 64 bytes"},
		{"doubling a variable", `{{$a := .Order.Customer.Name}}{{range .Order.Items}}{{$a = print $a $a}}{{end}}{{len $a}}`, 40, email.Limits{},
			email.BoundOutput, "output bound"},
		{"doubling with printf", `{{$a := "ab"}}{{range .Order.Items}}{{$a = printf "%s%s" $a $a}}{{end}}`, 40, email.Limits{},
			email.BoundOutput, "output bound"},
		{"doubling with escapes", `{{$a := "<>"}}{{range .Order.Items}}{{$a = html $a $a}}{{end}}`, 40, email.Limits{},
			email.BoundOutput, "output bound"},
		{"nested loops that write nothing", `{{range .Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{end}}{{end}}{{end}}`, 100, email.Limits{Timeout: time.Minute},
			email.BoundIterations, "iterations bound of 100000 loop iterations"},
		{"loop over a number from the data", `{{range len .Order.Metadata.blob}}{{end}}`, 1, email.Limits{MaxIterations: 999},
			email.BoundIterations, "bound of 999 loop iterations"},
		{"loop with break and continue", `{{range .Order.Items}}{{range $.Order.Items}}{{continue}}{{end}}{{end}}`, 400, email.Limits{Timeout: time.Minute},
			email.BoundIterations, "iterations bound"},
		{"time", `{{range .Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{if .SKU}}{{end}}{{end}}{{end}}{{end}}`, 1000,
			email.Limits{MaxIterations: 1 << 40, Timeout: 50 * time.Millisecond},
			email.BoundTime, "time bound of 50ms (Limits.Timeout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := sampleData(tt.items)
			data.Order.Metadata["blob"] = blob
			tmpl, err := email.Parse("message", tt.text, &email.ParseOptions{Data: dataType})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := tmpl.Execute(context.Background(), data, &tt.limits)
			var le *email.LimitError
			if !errors.As(err, &le) || le.Bound != tt.bound || le.Template != "message" {
				t.Fatalf("Execute = %d bytes, %v; want a %s LimitError", len(out), err, tt.bound)
			}
			if !ordo.IsNonRetryable(err) {
				t.Errorf("error %v is retryable", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestExecuteRuntimeRules: what Parse cannot see (a format from the data,
// a padded slice) is refused when the template runs, without retry.
func TestExecuteRuntimeRules(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"width from a variable", `{{$f := "%0999999d"}}{{printf $f 0}}`, "width 999999 is more than 100"},
		{"width from the data", `{{printf .Order.Metadata.format 0}}`, "width 999999 is more than 100"},
		{"padding a slice", `{{printf "%100v" .Order.Items}}`, "applies only to strings, numbers and booleans"},
		{"missing metadata key", `{{.Order.Metadata.none}}`, `map has no entry for key "none"`},
		{"date of a string", `{{date "2006" .Order.ID}}`, "date: want a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := sampleData(1)
			data.Order.Metadata["format"] = "%0999999d"
			_, err := email.Render(context.Background(), "subject", tt.text, data, nil)
			if err == nil || !ordo.IsNonRetryable(err) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "template subject") {
				t.Fatalf("Render = %v; want a non-retryable error naming the template and containing %q", err, tt.want)
			}
		})
	}
}

// TestExecuteContext: a context past its deadline (the step's timeout)
// fails without retry, a cancelled one (shutdown) is retryable.
func TestExecuteContext(t *testing.T) {
	t.Parallel()
	tmpl, err := email.Parse("message", `{{range .Order.Items}}{{.SKU}}{{end}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = tmpl.Execute(past, sampleData(3), nil)
	var le *email.LimitError
	if !errors.As(err, &le) || le.Bound != email.BoundTime || !strings.Contains(err.Error(), "the step's timeout") || !ordo.IsNonRetryable(err) {
		t.Errorf("past deadline: %v; want a non-retryable time LimitError naming the step's timeout", err)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tmpl.Execute(cancelled, sampleData(3), nil)
	if !errors.Is(err, context.Canceled) || ordo.IsNonRetryable(err) || !strings.Contains(err.Error(), "template message") {
		t.Errorf("cancelled: %v; want a retryable error wrapping context.Canceled", err)
	}
}

// TestTemplateConcurrentExecute: one parsed template serves concurrent
// renderings, each with its own budget.
func TestTemplateConcurrentExecute(t *testing.T) {
	t.Parallel()
	tmpl, err := email.Parse("message", `{{range .Order.Items}}{{.SKU}};{{end}}`, &email.ParseOptions{Data: dataType})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := tmpl.Execute(context.Background(), sampleData(500), &email.Limits{MaxIterations: 500})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("Execute: %v (each rendering has a budget of its own)", err)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limits email.Limits
		want   string
	}{
		{email.Limits{}, ""},
		{email.Limits{MaxOutput: 1, MaxIterations: 1, Timeout: time.Second}, ""},
		{email.Limits{MaxOutput: -1}, "Limits.MaxOutput must not be negative"},
		{email.Limits{MaxIterations: -1}, "Limits.MaxIterations must not be negative"},
		{email.Limits{Timeout: -time.Second}, "Limits.Timeout must not be negative"},
	}
	for _, tt := range tests {
		err := tt.limits.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.limits, err, tt.want)
		}
	}
}
