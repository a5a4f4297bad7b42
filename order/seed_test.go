package order_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/mesh"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/webhook"
)

// TestSeedFlowSuccess runs the seed's example flow (its uri pointed at a
// local endpoint, its e-mail through a local SMTP server) to the end.
func TestSeedFlowSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL+"/anything"))
	created := f.create(sampleOrder("ord-1", "seed"))
	if created.Status != order.StatusCreated || created.FlowVersion != 1 || created.InstanceID != "ord-1" {
		t.Fatalf("created order: status %q version %d instance %q", created.Status, created.FlowVersion, created.InstanceID)
	}

	o := f.finish("ord-1")
	if o.Status != "Success" || o.InstanceStatus != ordo.StatusComplete || o.Error != nil {
		t.Fatalf("order ended %q (instance %s, error %+v), want Success and complete", o.Status, o.InstanceStatus, o.Error)
	}
	want := []string{"Created@", "In progress@generate", "In progress@consume", "Success@email"}
	if diff := cmp.Diff(want, statuses(o.StatusHistory)); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}
	for i := 1; i < len(o.StatusHistory); i++ {
		if o.StatusHistory[i].At.Before(o.StatusHistory[i-1].At) {
			t.Errorf("status history is not in time order: %+v", o.StatusHistory)
		}
	}
	if diff := cmp.Diff(map[string]int{"generate#1": 1, "consume#1": 1, "email#1": 1}, stepAttempts(o)); diff != "" {
		t.Errorf("steps and attempts (-want +got):\n%s", diff)
	}

	t.Run("post", func(t *testing.T) { checkSeedPost(t, f, o) })
	t.Run("email", func(t *testing.T) { checkSeedEmail(t, f) })
	t.Run("files", func(t *testing.T) { checkSeedFiles(t, f, o) })
}

// checkSeedPost: exactly one POST, carrying the order as the API showed it
// after the generate step, with the step's idempotency key and a valid
// signature.
func checkSeedPost(t *testing.T, f *fixture, final *order.Order) {
	reqs := f.rest.Requests()
	if len(reqs) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/anything" || r.IdempotencyKey != "ord-1/consume#1" {
		t.Errorf("request: %s %s key %q, want POST /anything key ord-1/consume#1", r.Method, r.Path, r.IdempotencyKey)
	}
	if err := webhook.Verify(signingKey(), r.Header, r.Body, 0, time.Now()); err != nil {
		t.Errorf("signature %q: %v", r.Header.Get(webhook.HeaderSignature), err)
	}
	if got := r.Header.Get(webhook.HeaderID); got != r.IdempotencyKey {
		t.Errorf("webhook-id = %q, want the idempotency key %q", got, r.IdempotencyKey)
	}
	var sent order.Order
	if err := json.Unmarshal(r.Body, &sent); err != nil {
		t.Fatalf("POST body is not an order: %v\n%s", err, r.Body)
	}
	if sent.ID != "ord-1" || sent.Status != "In progress" || sent.Flow != "seed" || sent.FlowVersion != 1 {
		t.Errorf("posted order: id %q status %q flow %q v%d", sent.ID, sent.Status, sent.Flow, sent.FlowVersion)
	}
	if diff := cmp.Diff([]string{"Created@", "In progress@generate"}, statuses(sent.StatusHistory)); diff != "" {
		t.Errorf("posted status history (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(final.Files, sent.Files); diff != "" {
		t.Errorf("posted files (-final +posted):\n%s", diff)
	}
	if a, b := mustJSON(t, final.Items), mustJSON(t, sent.Items); a != b {
		t.Errorf("posted items %s, want %s", b, a)
	}
	if len(sent.Steps) != 1 || sent.Steps[0].Key != "generate#1" {
		t.Errorf("posted steps: %+v, want only generate#1", sent.Steps)
	}
	var consume *ordo.StepRecord
	for _, s := range final.Steps {
		if s.Key == "consume#1" {
			consume = s
		}
	}
	if consume == nil || string(consume.Output) != `{"ok":true}` {
		t.Errorf("consume step output = %+v, want the endpoint's JSON answer", consume)
	}
}

// checkSeedEmail: one e-mail with the seed's subject and message to the
// seed's recipient, with the step's Message-ID.
func checkSeedEmail(t *testing.T, f *fixture) {
	msgs := f.mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("mail server accepted %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if diff := cmp.Diff([]string{"neil.benin@twikit.com"}, m.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	if m.Subject != "Success subject" || strings.TrimSpace(m.Text) != "Success message" {
		t.Errorf("subject %q, text %q; want the seed's", m.Subject, m.Text)
	}
	if want := email.MessageID("ord-1", "email#1", "shop.example.com"); m.MessageID != want {
		t.Errorf("Message-ID %q, want %q", m.MessageID, want)
	}
	if len(m.Attachments) != 0 {
		t.Errorf("attachments %v, want none", m.Attachments)
	}
}

// checkSeedFiles: one valid STL per product item, stored, recorded and
// served by the API.
func checkSeedFiles(t *testing.T, f *fixture, o *order.Order) {
	if len(o.Files) != 2 {
		t.Fatalf("files = %+v, want one per product item (2)", o.Files)
	}
	wantNames := map[string]int{"1-RING-7.stl": 0, "3-BOX-S.stl": 2}
	for _, file := range o.Files {
		item, ok := wantNames[file.Name]
		if !ok || file.Item != item || file.Format != "stl" || file.URL != "/v1/orders/ord-1/files/"+file.Name {
			t.Errorf("file %+v: unexpected name, item, format or url", file)
			continue
		}
		status, body := f.do("GET", file.URL, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", file.URL, status, body)
		}
		sum := sha256.Sum256(body)
		if int64(len(body)) != file.Size || hex.EncodeToString(sum[:]) != file.SHA256 {
			t.Errorf("%s: %d bytes sha256 %x, recorded %d bytes %s", file.Name, len(body), sum, file.Size, file.SHA256)
		}
		m, err := mesh.ReadSTL(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: ReadSTL: %v", file.Name, err)
		}
		if err := mesh.Check(m); err != nil {
			t.Errorf("%s: not a valid closed mesh: %v", file.Name, err)
		}
		if len(m.Triangles) == 0 {
			t.Errorf("%s: no triangles", file.Name)
		}
	}
	if status, _ := f.do("GET", "/v1/orders/ord-1/files/nope.stl", nil); status != http.StatusNotFound {
		t.Errorf("GET an unknown file: %d, want 404", status)
	}
}
