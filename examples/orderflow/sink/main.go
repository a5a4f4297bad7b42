// Command sink is the far end of the order-flow walk-through
// (examples/orderflow/README.md) for machines without internet access: an
// HTTP endpoint that accepts the POSTs of consume-rest-api steps and an
// SMTP server that accepts the e-mails of send-email steps, both printing
// what they receive.
//
//	go run ./examples/orderflow/sink [-http 127.0.0.1:9090] [-smtp 127.0.0.1:2525] [-secret S]
//
// With -secret (or ORDO_SIGNING_SECRET) it checks each POST's Standard
// Webhooks signature (webhook-signature), or its Ordo-Signature when only
// that one is sent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"os/signal"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/webhook"
)

func main() {
	httpAddr := flag.String("http", "127.0.0.1:9090", "address of the HTTP endpoint")
	smtpAddr := flag.String("smtp", "127.0.0.1:2525", "address of the SMTP server")
	secret := flag.String("secret", os.Getenv("ORDO_SIGNING_SECRET"), "signing secret (whsec_...) to verify the POSTs' signatures (ORDO_SIGNING_SECRET)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	hs := &http.Server{Addr: *httpAddr, Handler: receiver([]byte(*secret)), ReadHeaderTimeout: 10 * time.Second}
	ss := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{}, nil }))
	ss.Addr, ss.Domain = *smtpAddr, "localhost"
	errc := make(chan error, 2)
	go func() { errc <- hs.ListenAndServe() }()
	go func() { errc <- ss.ListenAndServe() }()
	log.Printf("sink: POSTs on http://%s, e-mails on smtp://%s?tls=none", *httpAddr, *smtpAddr)
	select {
	case <-ctx.Done():
	case err := <-errc:
		log.Printf("sink: %v", err)
	}
	_ = hs.Close()
	_ = ss.Close()
}

// receiver prints every POST and answers {"received": true}.
func receiver(secret []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := "unsigned"
		if len(secret) > 0 {
			sig = "signature ok"
			if err := verify(secret, r.Header, body); err != nil {
				sig = "BAD SIGNATURE: " + err.Error()
			}
		}
		var order struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Files  []struct {
				Name string `json:"name"`
			} `json:"files"`
		}
		_ = json.Unmarshal(body, &order)
		log.Printf("POST %s  Idempotency-Key: %s  (%s)\n  order %s, status %q, %d file(s), %d bytes",
			r.URL.Path, r.Header.Get("Idempotency-Key"), sig, order.ID, order.Status, len(order.Files), len(body))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"received": true}`)
	})
}

// session prints each e-mail it accepts.
type session struct {
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return errors.New("unreadable message")
	}
	_, _ = io.Copy(io.Discard, m.Body)
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	log.Printf("MAIL from %s to %v\n  Subject: %s\n  Message-ID: %s", s.from, s.to, subject, m.Header.Get("Message-Id"))
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// verify checks the Standard Webhooks signature of a POST, or its
// Ordo-Signature when it has no webhook-signature.
func verify(secret []byte, h http.Header, body []byte) error {
	key, err := webhook.KeyOf(string(secret))
	if err != nil {
		return err
	}
	if h.Get(webhook.HeaderSignature) == "" && h.Get(rest.SignatureHeader) != "" {
		return rest.VerifySignature(key, h.Get(rest.SignatureHeader), body, 0, time.Now())
	}
	return webhook.Verify(key, h, body, 0, time.Now())
}
