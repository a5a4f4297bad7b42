package email_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// delivered is one message the test server accepted.
type delivered struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

// serverOptions configure a test server.
type serverOptions struct {
	// tls is "" (plain text), "starttls" or "implicit".
	tls string
	// cert is the server certificate for tls; default: a new self-signed
	// one.
	cert *tls.Certificate
	// user and pass, when set, are required (AUTH PLAIN).
	user, pass string
	// rcpt, when set, answers each RCPT TO.
	rcpt func(to string) error
	// data, when set, answers the end of DATA.
	data func() error
	// block, when set, makes DATA wait until it is closed.
	block chan struct{}
}

// mailServer is an in-process SMTP server on 127.0.0.1:0 speaking real
// SMTP through github.com/emersion/go-smtp.
type mailServer struct {
	addr string
	cert *tls.Certificate
	opts serverOptions

	mu   sync.Mutex
	msgs []delivered
}

func startServer(t *testing.T, opts serverOptions) *mailServer {
	t.Helper()
	m := &mailServer{opts: opts}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: m, tls: isTLS}, nil
	}))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ErrorLog = discardLogger{}
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.tls != "" {
		m.cert = opts.cert
		if m.cert == nil {
			m.cert = selfSigned(t)
		}
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*m.cert}}
		if opts.tls == "implicit" {
			l = tls.NewListener(l, s.TLSConfig)
		}
	}
	m.addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		// Close the listener too: if Serve has not started yet, s.Close has
		// nothing to close and the wait below would block.
		s.Close()
		l.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("smtp server: %v", err)
		}
	})
	return m
}

// messages returns what the server accepted so far.
func (m *mailServer) messages() []delivered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivered(nil), m.msgs...)
}

// rootCAs returns a pool that trusts the server's certificate.
func (m *mailServer) rootCAs(t *testing.T) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(m.cert.Leaf)
	return pool
}

// session is one SMTP connection.
type session struct {
	srv  *mailServer
	tls  bool
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.user || pass != s.srv.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.rcpt != nil {
		if err := s.srv.opts.rcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.block != nil {
		<-s.srv.opts.block
	}
	if s.srv.opts.data != nil {
		if err := s.srv.opts.data(); err != nil {
			return err
		}
	}
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, delivered{From: s.from, To: s.to, Data: bytes.Clone(data), TLS: s.tls, User: s.user})
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// smtpErr returns an SMTP error reply.
func smtpErr(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// selfSigned returns a new self-signed certificate for 127.0.0.1 and
// localhost.
func selfSigned(t *testing.T) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ordo test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
