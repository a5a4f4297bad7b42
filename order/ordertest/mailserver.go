package ordertest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Refuse chooses the answer to the end of DATA of delivery attempt n (from
// 1): nil accepts the message, an error (see SMTPError) refuses it.
type Refuse func(n int) error

// SMTPError returns the SMTP reply code and text a Refuse function gives,
// for example SMTPError(451, "try again later").
func SMTPError(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// MailServer is an SMTP server on 127.0.0.1 without TLS or authentication
// that keeps the messages it accepted.
type MailServer struct {
	// Addr is host:port.
	Addr string

	mu       sync.Mutex
	refuse   Refuse
	attempts int
	msgs     []*Mail
	changed  chan struct{}
}

// StartMailServer starts a server, closed when the test ends. refuse may be
// nil to accept everything.
func StartMailServer(t testing.TB, refuse Refuse) *MailServer {
	t.Helper()
	m := &MailServer{refuse: refuse, changed: make(chan struct{})}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: m}, nil
	}))
	s.Domain = "localhost"
	s.ErrorLog = discardLogger{}
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		// go-smtp's Close only closes the listeners Serve has registered;
		// when Serve has not started yet it would block forever, so close
		// the listener too.
		l.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("ordertest: smtp server: %v", err)
		}
	})
	return m
}

// URL returns the server's URL for email.Config.URL and --smtp-url.
func (m *MailServer) URL() string {
	return (&url.URL{Scheme: "smtp", Host: m.Addr, RawQuery: "tls=none"}).String()
}

// Attempts returns how many messages were offered (accepted or refused).
func (m *MailServer) Attempts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts
}

// Messages returns the accepted messages, in order.
func (m *MailServer) Messages() []*Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Mail(nil), m.msgs...)
}

// WaitMessages waits until at least n messages were accepted and returns
// them; it fails the test after timeout.
func (m *MailServer) WaitMessages(t testing.TB, n int, timeout time.Duration) []*Mail {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		msgs, changed := append([]*Mail(nil), m.msgs...), m.changed
		m.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("ordertest: mail server accepted %d message(s) in %s, want %d", len(msgs), timeout, n)
		}
	}
}

// session is one SMTP connection.
type session struct {
	srv  *MailServer
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.srv
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts++
	if m.refuse != nil {
		if err := m.refuse(m.attempts); err != nil {
			return err
		}
	}
	mail, err := parseMail(s.from, s.to, bytes.Clone(data))
	if err != nil {
		return fmt.Errorf("ordertest: unreadable message: %w", err)
	}
	m.msgs = append(m.msgs, mail)
	close(m.changed)
	m.changed = make(chan struct{})
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
