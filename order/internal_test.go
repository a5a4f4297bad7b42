package order

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/mesh"
)

func TestFileName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		i      int
		sku    string
		format mesh.Format
		want   string
	}{
		{0, "RING-7", mesh.FormatSTL, "1-RING-7.stl"},
		{2, "box_s", mesh.FormatOBJ, "3-box_s.obj"},
		{0, "a/b\\c d", mesh.FormatSTL, "1-a_b_c_d.stl"},
		{0, "..", mesh.FormatSTL, "1-item.stl"},
		{0, ".hidden.", mesh.FormatSTL, "1-hidden.stl"},
		{0, "ü", mesh.FormatSTL, "1-_.stl"},
		{9, "", mesh.FormatSTLASCII, "10-item.stl"},
	}
	for _, tc := range tests {
		if got := fileName(tc.i, tc.sku, tc.format); got != tc.want {
			t.Errorf("fileName(%d, %q, %s) = %q, want %q", tc.i, tc.sku, tc.format, got, tc.want)
		}
	}
}

func TestStepOptions(t *testing.T) {
	t.Parallel()
	two := 2
	def := ordo.DefaultRetryPolicy()
	tests := []struct {
		name string
		step flow.StepDefinition
		want *ordo.StepOptions
	}{
		{"defaults", flow.StepDefinition{}, &ordo.StepOptions{}},
		{"timeout", flow.StepDefinition{Timeout: 3 * time.Second}, &ordo.StepOptions{Timeout: 3 * time.Second}},
		{"limit only", flow.StepDefinition{Retries: &flow.RetryPolicy{Limit: &two}},
			&ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2, Delay: def.Delay, Backoff: def.Backoff}}},
		{"all", flow.StepDefinition{Retries: &flow.RetryPolicy{Limit: &two, Delay: time.Millisecond, Backoff: flow.BackoffLinear}},
			&ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2, Delay: time.Millisecond, Backoff: ordo.BackoffLinear}}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, stepOptions(&tc.step)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestSameDocument(t *testing.T) {
	t.Parallel()
	base := func() *params {
		return &params{Flow: "f", Version: 1, Customer: Customer{Name: "A", Email: "a@example.com"},
			Items: []Item{{SKU: "X", Quantity: 1}}, Metadata: map[string]any{"k": "v"}}
	}
	other := base()
	other.Version = 7
	if !sameDocument(base(), other) {
		t.Error("documents that differ only in version are not the same")
	}
	for name, change := range map[string]func(p *params){
		"flow":     func(p *params) { p.Flow = "g" },
		"customer": func(p *params) { p.Customer.Name = "B" },
		"quantity": func(p *params) { p.Items[0].Quantity = 2 },
		"metadata": func(p *params) { p.Metadata["k"] = "w" },
		"product":  func(p *params) { p.Items[0].Product = &Product{Template: "ring"} },
	} {
		p := base()
		change(p)
		if sameDocument(base(), p) {
			t.Errorf("a changed %s is the same document", name)
		}
	}
}

func TestCheckFlowName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"standard": true, "flow": true, "eu-2.v1": true, "A_b": true,
		"": false, "schema": false, "validate": false, "-x": false, "a b": false, "a/b": false,
	} {
		if err := checkFlowName(name); (err == nil) != ok {
			t.Errorf("checkFlowName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
