package order_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
)

// TestEmailTemplatesAndAttachments: recipients, subject and message are
// templates over the order, and attachProductionFiles attaches the files
// the generate step stored.
func TestEmailTemplatesAndAttachments(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("files", []byte(`[
	{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "Files ready",
	 "options": {"fileFormat": "obj"}, "onSuccess": "notify"},
	{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
	 "options": {"recipients": ["{{.Order.Customer.Email}}", "workshop@example.com"],
	             "subject": "Order {{.Order.ID}}: {{.Order.Status}}",
	             "message": "Hello {{.Order.Customer.Name}}, {{len .Order.Files}} file(s) via {{.Order.Metadata.channel}}.",
	             "attachProductionFiles": true}}
]`))
	f.create(sampleOrder("ord-t", "files"))
	o := f.finish("ord-t")
	if o.Status != "Notified" {
		t.Fatalf("order ended %q (error %+v), want Notified", o.Status, o.Error)
	}
	msgs := f.mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if diff := cmp.Diff([]string{"ada@example.com", "workshop@example.com"}, m.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	if m.Subject != "Order ord-t: Files ready" {
		t.Errorf("subject %q", m.Subject)
	}
	if got := strings.TrimSpace(m.Text); got != "Hello Ada Lovelace, 2 file(s) via web." {
		t.Errorf("text %q", got)
	}
	if len(m.Attachments) != len(o.Files) {
		t.Fatalf("attachments %d, files %d", len(m.Attachments), len(o.Files))
	}
	for _, file := range o.Files {
		if file.Format != "obj" || !strings.HasSuffix(file.Name, ".obj") {
			t.Errorf("file %+v: want obj", file)
		}
		rc, _, err := f.files.Open(context.Background(), "orders/ord-t/"+file.Name)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(m.Attachments[file.Name], stored) {
			t.Errorf("attachment %s differs from the stored file", file.Name)
		}
	}
}

// TestEmailTemplateError: a template naming a missing key fails the step
// without retry instead of sending "<no value>".
func TestEmailTemplateError(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("typo", []byte(`[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
		"options": {"recipients": ["a@example.com"], "subject": "Order {{.Order.Metadata.nope}}", "message": "m"}}]`))
	f.create(sampleOrder("ord-typo", "typo"))
	o := f.finish("ord-typo")
	e := step(t, o, "notify#1")
	if o.InstanceStatus != ordo.StatusErrored || e.Attempts != 1 || !strings.Contains(e.Error.Message, "nope") {
		t.Errorf("instance %s, step %d attempts, error %+v; want one failure naming the key", o.InstanceStatus, e.Attempts, e.Error)
	}
	if n := f.mail.Attempts(); n != 0 {
		t.Errorf("%d messages offered, want none", n)
	}
}
