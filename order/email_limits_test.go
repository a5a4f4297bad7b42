package order_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/store"
)

// emailFlow is a one-step flow that mails the customer, in the array form
// (object false) or the object form.
func emailFlow(t *testing.T, object bool, recipient, subject, message string) []byte {
	t.Helper()
	steps := []map[string]any{{
		"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
		"options": map[string]any{"recipients": []string{recipient}, "subject": subject, "message": message},
	}}
	var doc any = steps
	if object {
		doc = map[string]any{"steps": steps}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFlowTemplatesCheckedAtApply: through PUT /v1/flows/{name} and POST
// /v1/flows/validate, a template that could not render safely or names a
// field the order does not have is a 400 listing the problem with the
// step, the code and the template's path; nothing is stored.
func TestFlowTemplatesCheckedAtApply(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	const to = "{{.Order.Customer.Email}}"
	tests := []struct {
		name                        string
		object                      bool
		recipient, subject, message string
		path, want                  string
	}{
		{"the crash template", false, to, "Hi", `{{range 5000}}{{printf "%0999999d" 0}}{{end}}`,
			"/0/options/message", "options.message is not a valid Go template: line 1, column 9: {{range 5000}} loops over a constant"},
		{"huge printf width", true, to, "Hi", `{{printf "%0999999d" 0}}`,
			"/steps/0/options/message", "width 999999 is more than 100"},
		{"unknown order field", true, to, "Order {{.Order.Number}}", "m",
			"/steps/0/options/subject", "order.Order has no field or method Number"},
		{"unknown item field", false, to, "s", "{{range .Order.Items}}{{.Price}}{{end}}",
			"/0/options/message", "order.Item has no field or method Price (fields: SKU, Quantity, Product)"},
		{"unknown customer field", false, "{{.Order.Customer.Mail}}", "s", "m",
			"/0/options/recipients/0", "order.Customer has no field or method Mail (fields: Name, Email)"},
		{"field case", false, to, "s", "Hi {{.Order.Customer.name}}",
			"/0/options/message", "(did you mean Name?)"},
		{"method with arguments", false, to, "s", `{{.Order.CreatedAt.Format "2006"}}`,
			"/0/options/message", "methods cannot take arguments"},
		{"define", false, to, "s", `{{define "x"}}{{end}}`,
			"/0/options/message", "{{define \"x\"}} and {{block}} are not allowed"},
		{"syntax", false, to, "Order {{.Order.ID", "m",
			"/0/options/subject", "unclosed action"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := emailFlow(t, tt.object, tt.recipient, tt.subject, tt.message)
			name := fmt.Sprintf("bad-%d", i)
			for _, route := range []struct{ method, path string }{{"PUT", "/v1/flows/" + name}, {"POST", "/v1/flows/validate"}} {
				status, raw := f.do(route.method, route.path, doc)
				if status != http.StatusBadRequest {
					t.Fatalf("%s %s: %d %s, want 400", route.method, route.path, status, raw)
				}
				e := decode[apiError](t, raw)
				problems := decode[[]flow.Problem](t, e.Error.Details)
				if e.Error.Code != order.CodeInvalidFlow || len(problems) != 1 {
					t.Fatalf("%s %s: %s, want one problem", route.method, route.path, raw)
				}
				p := problems[0]
				if p.Path != tt.path || p.Step != "notify" || p.Code != flow.CodeInvalidOption || !strings.Contains(p.Message, tt.want) {
					t.Errorf("%s %s: problem %+v; want path %s, step notify, code %s, a message containing %q",
						route.method, route.path, p, tt.path, flow.CodeInvalidOption, tt.want)
				}
			}
			if status, raw := f.do("GET", "/v1/flows/"+name, nil); status != http.StatusNotFound {
				t.Errorf("GET the refused flow: %d %s, want 404", status, raw)
			}
		})
	}
}

// TestEmailMerchantTemplates: what shops write passes the apply checks and
// renders: the customer's name, a loop over the items with formatting,
// conditionals, metadata and a date.
func TestEmailMerchantTemplates(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	message := `Hi {{.Order.Customer.Name}},
{{range $i, $it := .Order.Items}}{{printf "%-9s x%d" $it.SKU $it.Quantity}}{{with $it.Product}} ({{.Template}}){{end}}
{{end}}{{if gt (len .Order.Items) 1}}{{len .Order.Items}} items{{else}}one item{{end}} via {{index .Order.Metadata "channel"}}, ordered {{date "2006" .Order.CreatedAt}}.`
	status, raw := f.do("PUT", "/v1/flows/merchant", emailFlow(t, false, "{{.Order.Customer.Email}}", "Order {{.Order.ID}} for {{.Order.Customer.Name}}", message))
	if status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", status, raw)
	}
	f.create(sampleOrder("ord-m", "merchant"))
	o := f.finish("ord-m")
	if o.Status != "Notified" {
		t.Fatalf("order ended %q (error %+v), want Notified", o.Status, o.Error)
	}
	msgs := f.mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	want := fmt.Sprintf(`Hi Ada Lovelace,
RING-7    x1 (ring)
GIFT-CARD x1
BOX-S     x2 (box)
3 items via web, ordered %d.`, o.CreatedAt.Year())
	if got := strings.TrimSpace(strings.ReplaceAll(msgs[0].Text, "\r\n", "\n")); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	if msgs[0].Subject != "Order ord-m for Ada Lovelace" {
		t.Errorf("subject %q", msgs[0].Subject)
	}
}

// TestEmailOutputCapAtSendTime: a template that passes the apply checks but
// would build a string of terabytes (a variable doubled 40 times) fails its
// step once, without retry, naming the template and the bound; the process
// stays within its memory ceiling (GOMEMLIMIT 256 MiB, allocations checked
// with runtime/metrics), sends nothing, and goes on serving and sending.
// A configured cap is honoured.
//
// Not parallel: the allocation counter is the process's.
func TestEmailOutputCapAtSendTime(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	f := setup(t, nil)
	bomb := `{{$a := .Order.Customer.Name}}` + strings.Repeat(`{{$a = print $a $a}}`, 40) + `{{$a}}`
	f.apply("bomb", emailFlow(t, false, "{{.Order.Customer.Email}}", "Your order", bomb))
	f.apply("fine", emailFlow(t, false, "{{.Order.Customer.Email}}", "Your order", "Thanks, {{.Order.Customer.Name}}."))

	before := allocatedBytes()
	f.create(sampleOrder("ord-bomb", "bomb"))
	o := f.finish("ord-bomb")
	allocated := allocatedBytes() - before
	// Without the bounds the first print past 2^34 bytes alone would ask
	// for gigabytes; with them the whole order costs a few megabytes.
	const allocLimit = 64 << 20
	if allocated > allocLimit {
		t.Errorf("the order allocated %d bytes, more than %d", allocated, allocLimit)
	}
	t.Logf("the order with the doubling template allocated %d KiB", allocated>>10)
	e := step(t, o, "notify#1")
	if o.InstanceStatus != ordo.StatusErrored || e.Attempts != 1 || e.Error == nil ||
		!strings.Contains(e.Error.Message, "template message exceeded its output bound of 262144 bytes") {
		t.Fatalf("instance %s, step %d attempts, error %+v; want one non-retryable failure naming the template and the bound",
			o.InstanceStatus, e.Attempts, e.Error)
	}
	if n := f.mail.Attempts(); n != 0 {
		t.Errorf("%d messages offered, want none", n)
	}

	if status, raw := f.do("GET", "/healthz", nil); status != http.StatusOK {
		t.Errorf("GET /healthz after the failure: %d %s", status, raw)
	}
	f.create(sampleOrder("ord-fine", "fine"))
	if o := f.finish("ord-fine"); o.Status != "Notified" || len(f.mail.Messages()) != 1 {
		t.Errorf("the next order ended %q with %d messages, want Notified and 1", o.Status, len(f.mail.Messages()))
	}

	small := setup(t, &setupOptions{templateLimits: email.Limits{MaxOutput: 64}})
	small.apply("long", emailFlow(t, false, "{{.Order.Customer.Email}}", "s", "Dear {{.Order.Customer.Name}}, "+strings.Repeat("thanks ", 10)))
	small.create(sampleOrder("ord-long", "long"))
	e = step(t, small.finish("ord-long"), "notify#1")
	if e.Attempts != 1 || e.Error == nil || !strings.Contains(e.Error.Message, "output bound of 64 bytes") {
		t.Errorf("with a 64-byte cap: %d attempts, error %+v; want one failure naming the bound", e.Attempts, e.Error)
	}
}

// TestStoredFlowWithHostileTemplate: a flow stored before the template
// rules (here written to the store directly, bypassing ApplyFlow) still
// loads; its e-mail step fails once, without retry, naming the rule, and
// its onError step runs, rather than the process running out of memory
// at every restart as in issue 9.
func TestStoredFlowWithHostileTemplate(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	fs := f.env.Store.(store.FlowStore)
	for i, message := range []string{
		`{{range 5000}}{{printf "%0999999d" 0}}{{end}}`,
		`Shipped {{.Order.CreatedAt.Format "2 Jan"}}`,
	} {
		doc := []byte(fmt.Sprintf(`[
			{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified", "onError": "fallback",
			 "options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "s", "message": %s}},
			{"stepDefinitionId": "fallback", "type": "send-email", "successStatus": "Failed",
			 "options": {"recipients": ["ops@example.com"], "subject": "order {{.Order.ID}} needs a look", "message": "m"}}]`, mustJSON(t, message)))
		res, err := flow.ParseWith(doc, &flow.ParseOptions{SkipTemplateChecks: true})
		if err != nil {
			t.Fatal(err)
		}
		canonical, err := flow.Canonical(res.Definition)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("old-%d", i)
		if _, _, err := fs.FlowPut(context.Background(), &store.FlowPutParams{Name: name, Hash: flow.Hash(res.Definition), Definition: canonical}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RegisterStoredFlows(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("ord-old-%d", i)
		f.create(sampleOrder(id, name))
		o := f.finish(id)
		e := step(t, o, "notify#1")
		if o.Status != "Failed" || e.Attempts != 1 || e.Error == nil || !strings.Contains(e.Error.Message, "template message: line 1") {
			t.Errorf("%s: order %q, notify %d attempts, error %+v; want one failure naming the template's rule, then the fallback",
				message, o.Status, e.Attempts, e.Error)
		}
	}
}

// allocatedBytes reads how many bytes the process allocated so far.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
