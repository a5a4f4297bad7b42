package email_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

// newSender returns a Sender for url, failing the test on error.
func newSender(t *testing.T, cfg email.Config) *email.Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Shop <shop@example.com>"
	}
	s, err := email.New(cfg)
	if err != nil {
		t.Fatalf("New(%q): %v", cfg.URL, err)
	}
	return s
}

func testMessage() *email.Message {
	return &email.Message{
		To:        []string{"Ada <ada@example.com>"},
		Subject:   "Your order o-1 has shipped",
		Body:      "Hello Ada,\n\nyour parcel is on its way.\n",
		MessageID: email.MessageID("inst-1", "notify", "shop.example.com"),
	}
}

// send sends m with a one-minute bound.
func send(t *testing.T, s *email.Sender, m *email.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.Send(ctx, m)
}

// parse reads a delivered message.
func parse(t *testing.T, d delivered) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(d.Data)))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v\n%s", err, d.Data)
	}
	return msg
}

// decodeBody returns a part's body after its Content-Transfer-Encoding.
func decodeBody(t *testing.T, encoding string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s body: %v", encoding, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestSendDeliversMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})

	m := testMessage()
	m.Headers = map[string]string{"X-Ordo-Instance": "inst-1", "Reply-To": "Support <help@example.com>"}
	if err := send(t, s, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	d := msgs[0]
	if d.From != "shop@example.com" || len(d.To) != 1 || d.To[0] != "ada@example.com" {
		t.Errorf("envelope = %s -> %v", d.From, d.To)
	}
	got := parse(t, d)
	for name, want := range map[string]string{
		"From":            `"Shop" <shop@example.com>`,
		"To":              `"Ada" <ada@example.com>`,
		"Subject":         "Your order o-1 has shipped",
		"Message-Id":      "<inst-1.notify@shop.example.com>",
		"X-Ordo-Instance": "inst-1",
		"Reply-To":        `"Support" <help@example.com>`,
		"User-Agent":      "ordo/1",
	} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	mediaType, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type"))
	if mediaType != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain", got.Header.Get("Content-Type"))
	}
	if body := decodeBody(t, got.Header.Get("Content-Transfer-Encoding"), got.Body); body != m.Body {
		t.Errorf("body = %q, want %q", body, m.Body)
	}
}

func TestSendMultipleRecipients(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})

	m := testMessage()
	m.To = []string{"ada@example.com", "Bob <bob@example.org>", "carol@example.net"}
	if err := send(t, s, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if got := strings.Join(msgs[0].To, ","); got != "ada@example.com,bob@example.org,carol@example.net" {
		t.Errorf("envelope recipients = %s", got)
	}
	to, err := parse(t, msgs[0]).Header.AddressList("To")
	if err != nil || len(to) != 3 || to[1].Name != "Bob" {
		t.Errorf("To header = %v, %v", to, err)
	}
}

func TestSendConcurrently(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			m := testMessage()
			m.MessageID = email.MessageID("inst-"+strconv.Itoa(i), "notify", "")
			errs <- send(t, s, m)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if got := len(srv.messages()); got != n {
		t.Fatalf("server got %d messages, want %d", got, n)
	}
}

func TestSendAttachment(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})

	pdf := []byte("%PDF-1.7\n\x00\x01\x02\xff binary invoice\n")
	m := testMessage()
	m.Attachments = []email.Attachment{
		{Name: "invoice-o-1.pdf", Data: pdf},
		{Name: "order.json", ContentType: "application/json", Data: []byte(`{"id":"o-1"}`)},
	}
	if err := send(t, s, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := parse(t, srv.messages()[0])
	mediaType, params, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" {
		t.Fatalf("Content-Type = %q, want multipart/mixed", got.Header.Get("Content-Type"))
	}
	parts := map[string]struct{ contentType, data string }{}
	var body string
	mr := multipart.NewReader(got.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading MIME part: %v", err)
		}
		data := decodeBody(t, p.Header.Get("Content-Transfer-Encoding"), p)
		if p.FileName() == "" {
			body = data
			continue
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[p.FileName()] = struct{ contentType, data string }{ct, data}
	}
	if body != m.Body {
		t.Errorf("body part = %q, want %q", body, m.Body)
	}
	if p := parts["invoice-o-1.pdf"]; p.contentType != "application/pdf" || p.data != string(pdf) {
		t.Errorf("invoice attachment = %q %q", p.contentType, p.data)
	}
	if p := parts["order.json"]; p.contentType != "application/json" || p.data != `{"id":"o-1"}` {
		t.Errorf("order.json attachment = %q %q", p.contentType, p.data)
	}
}

func TestSendTemporaryFailureThenSuccess(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"rcpt", "data"} {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			once451 := func() error {
				if calls.Add(1) == 1 {
					return smtpErr(451, "greylisted, try again later")
				}
				return nil
			}
			opts := serverOptions{}
			if stage == "rcpt" {
				opts.rcpt = func(string) error { return once451() }
			} else {
				opts.data = once451
			}
			srv := startServer(t, opts)
			s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})

			err := send(t, s, testMessage())
			if err == nil {
				t.Fatal("first Send succeeded, want a 451 error")
			}
			if ordo.IsNonRetryable(err) {
				t.Fatalf("451 is non-retryable: %v", err)
			}
			var se *email.SendError
			if !errors.As(err, &se) || se.Code != 451 || se.Permanent {
				t.Fatalf("error %v: want a temporary *SendError with code 451", err)
			}
			for _, want := range []string{srv.addr, "ada@example.com", "451"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if n := len(srv.messages()); n != 0 {
				t.Fatalf("server stored %d messages after 451", n)
			}

			if err := send(t, s, testMessage()); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			if n := len(srv.messages()); n != 1 {
				t.Fatalf("server got %d messages, want exactly 1", n)
			}
		})
	}
}

func TestSendPermanentFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts serverOptions
		to   []string
	}{
		{name: "550 at RCPT", opts: serverOptions{rcpt: func(string) error { return smtpErr(550, "no such user") }}},
		{name: "554 at end of DATA", opts: serverOptions{data: func() error { return smtpErr(554, "content rejected") }}},
		{
			name: "one 550 among temporary failures",
			opts: serverOptions{rcpt: func(to string) error {
				if strings.HasPrefix(to, "gone@") {
					return smtpErr(550, "no such user")
				}
				return smtpErr(452, "mailbox full")
			}},
			// go-mail's own SendError keeps only the last recipient's reply.
			to: []string{"a@example.com", "gone@example.com", "b@example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.opts)
			s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})
			m := testMessage()
			if tt.to != nil {
				m.To = tt.to
			}
			err := send(t, s, m)
			if !ordo.IsNonRetryable(err) {
				t.Fatalf("error %v: want non-retryable", err)
			}
			var se *email.SendError
			if !errors.As(err, &se) || se.Code < 550 || !se.Permanent {
				t.Fatalf("error %v: want a permanent *SendError with a 5xx code", err)
			}
			if !strings.Contains(err.Error(), srv.addr) || !strings.Contains(err.Error(), m.To[0]) {
				t.Errorf("error %q does not name the server and recipients", err)
			}
			if n := len(srv.messages()); n != 0 {
				t.Fatalf("server stored %d messages", n)
			}
		})
	}
}

func TestSendAuthPlain(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{user: "shop", pass: "p@ss:word/1"})

	// Plain-text AUTH PLAIN is allowed to a loopback host only.
	s := newSender(t, email.Config{URL: "smtp://shop:p%40ss%3Aword%2F1@" + srv.addr + "?tls=none"})
	if err := send(t, s, testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := srv.messages(); len(msgs) != 1 || msgs[0].User != "shop" {
		t.Fatalf("server got %+v, want one message from authenticated user shop", msgs)
	}

	bad := newSender(t, email.Config{URL: "smtp://shop:wrong@" + srv.addr + "?tls=none&auth=plain"})
	err := send(t, bad, testMessage())
	if !ordo.IsNonRetryable(err) {
		t.Fatalf("wrong password: error %v, want non-retryable 535", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q contains the password", err)
	}

	anon := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})
	if err := send(t, anon, testMessage()); !ordo.IsNonRetryable(err) {
		t.Fatalf("no credentials: error %v, want non-retryable (5xx auth required)", err)
	}
}

func TestSendSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{tls: "starttls", user: "shop", pass: "secret"})

	s := newSender(t, email.Config{
		URL:       "smtp://shop:secret@" + srv.addr + "?tls=mandatory",
		TLSConfig: &tls.Config{RootCAs: srv.rootCAs(t)},
	})
	if err := send(t, s, testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "shop" {
		t.Fatalf("server got %+v, want one message over TLS from shop", msgs)
	}

	// Opportunistic (the default) upgrades too.
	opp := newSender(t, email.Config{URL: "smtp://shop:secret@" + srv.addr, TLSConfig: &tls.Config{RootCAs: srv.rootCAs(t)}})
	if err := send(t, opp, testMessage()); err != nil {
		t.Fatalf("opportunistic Send: %v", err)
	}
	if msgs := srv.messages(); len(msgs) != 2 || !msgs[1].TLS {
		t.Fatalf("opportunistic STARTTLS: server got %+v", msgs)
	}
}

func TestSendSTARTTLSCertificate(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{tls: "starttls"})

	untrusted := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=mandatory"})
	err := send(t, untrusted, testMessage())
	var certErr *tls.CertificateVerificationError
	if !errors.As(err, &certErr) {
		t.Fatalf("untrusted certificate: error %v, want a certificate verification error", err)
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("message sent over an unverified connection")
	}

	insecure := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=mandatory", InsecureSkipVerify: true})
	if err := send(t, insecure, testMessage()); err != nil {
		t.Fatalf("InsecureSkipVerify Send: %v", err)
	}
}

func TestSendMandatoryTLSWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=mandatory"})
	err := send(t, s, testMessage())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("error %v: want one about STARTTLS", err)
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("message sent in plain text despite tls=mandatory")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{tls: "implicit", user: "shop", pass: "secret"})
	s := newSender(t, email.Config{
		URL:       "smtps://shop:secret@" + srv.addr,
		TLSConfig: &tls.Config{RootCAs: srv.rootCAs(t)},
	})
	if got, want := s.Server(), "smtps://"+srv.addr; got != want {
		t.Errorf("Server() = %q, want %q", got, want)
	}
	if err := send(t, s, testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := srv.messages(); len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "shop" {
		t.Fatalf("server got %+v, want one message over TLS from shop", msgs)
	}
}

func TestSendConnectionRefusedIsRetryable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	s := newSender(t, email.Config{URL: "smtp://user:hunter2@" + addr})
	err = send(t, s, testMessage())
	if err == nil || ordo.IsNonRetryable(err) {
		t.Fatalf("error %v: want a retryable error", err)
	}
	for _, want := range []string{addr, "ada@example.com", "refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestSendContextDeadline(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := startServer(t, serverOptions{block: block})
	t.Cleanup(func() { close(block) }) // runs before the server's Close
	s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none"})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.Send(ctx, testMessage())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v: want one wrapping context.DeadlineExceeded", err)
	}
	if ordo.IsNonRetryable(err) {
		t.Fatalf("timeout is non-retryable: %v", err)
	}
}

func TestSendInvalidMessage(t *testing.T) {
	t.Parallel()
	// Nothing listens there: an invalid message must fail before dialling.
	s := newSender(t, email.Config{URL: "smtp://127.0.0.1:1"})
	tests := []struct {
		name   string
		change func(m *email.Message)
		want   string
	}{
		{"no recipients", func(m *email.Message) { m.To = nil }, "no recipients"},
		{"bad recipient", func(m *email.Message) { m.To = []string{"not an address"} }, `recipient "not an address"`},
		{"subject line break", func(m *email.Message) { m.Subject = "Hi\r\nBcc: x@evil.example" }, "subject"},
		{"header injection", func(m *email.Message) { m.Headers = map[string]string{"X-A": "1\nBcc: x@evil.example"} }, "X-A"},
		{"reserved header", func(m *email.Message) { m.Headers = map[string]string{"bcc": "x@evil.example"} }, "Bcc is set by Send"},
		{"bad header name", func(m *email.Message) { m.Headers = map[string]string{"X A": "1"} }, "header name"},
		{"bad Reply-To", func(m *email.Message) { m.Headers = map[string]string{"Reply-To": "nobody"} }, "Reply-To"},
		{"message ID with brackets", func(m *email.Message) { m.MessageID = "<a@b>" }, "message ID"},
		{"message ID without @", func(m *email.Message) { m.MessageID = "abc" }, "message ID"},
		{"attachment without name", func(m *email.Message) { m.Attachments = []email.Attachment{{Data: []byte("x")}} }, "attachment 0"},
		{"attachment path", func(m *email.Message) { m.Attachments = []email.Attachment{{Name: "../x.pdf"}} }, "path separator"},
		{"attachment type", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Name: "x", ContentType: "not a type"}}
		}, "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := testMessage()
			tt.change(m)
			err := send(t, s, m)
			if !ordo.IsNonRetryable(err) || !errors.Is(err, ordo.ErrInvalidArgument) {
				t.Fatalf("error %v: want non-retryable ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if err := send(t, s, nil); !ordo.IsNonRetryable(err) {
		t.Errorf("nil message: error %v, want non-retryable", err)
	}
}
