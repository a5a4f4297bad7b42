package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo"
)

// UserAgent is the User-Agent header of every message.
const UserAgent = "ordo/1"

// idleTimeout bounds each SMTP exchange when the context has no deadline.
const idleTimeout = time.Minute

// Sender sends e-mails through one SMTP server. It is safe for concurrent
// use; each Send opens its own connection.
type Sender struct {
	cfg    *settings
	tracer trace.Tracer
}

// New validates cfg and returns a Sender. It does not connect. Its errors
// name the field at fault (Config.URL, Config.From) and never contain the
// password.
func New(cfg Config) (*Sender, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: s, tracer: tracerOf(cfg.TracerProvider)}, nil
}

// Server returns the server as "smtp://host:port" or "smtps://host:port",
// without credentials, for logs.
func (s *Sender) Server() string {
	scheme := "smtp"
	if s.cfg.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.cfg.addr()
}

// Send delivers m in one SMTP transaction on a new connection, and returns
// when the server has accepted or refused it. The context bounds the whole
// conversation: when it is done, the connection is closed and the error
// wraps the context's error.
//
// A nil error means the server accepted the message (a failure to close the
// connection afterwards is ignored, since the message is on its way). Errors
// are classified for the engine: SMTP 5xx replies and invalid messages are
// ordo.NonRetryable, SMTP 4xx replies, network errors and timeouts are
// plain (retryable) errors; see the package documentation. Every error
// names the server and the recipients. Each Send is a client span
// "smtp send" of Config.TracerProvider.
func (s *Sender) Send(ctx context.Context, m *Message) (err error) {
	ctx, span := s.startSendSpan(ctx, m)
	defer func() { endSendSpan(span, err) }()
	msg, err := s.build(m)
	if err != nil {
		return s.classify(ctx, m, fmt.Errorf("invalid message: %w: %w", err, ordo.ErrInvalidArgument))
	}
	if err := s.send(ctx, msg); err != nil {
		return s.classify(ctx, m, err)
	}
	return nil
}

// send runs the SMTP conversation. The replies to MAIL, RCPT and DATA that
// were errors are kept in codes for classify.
func (s *Sender) send(ctx context.Context, msg *gomail.Msg) error {
	var conns connSet
	defer conns.closeAll()

	client, err := gomail.NewClient(s.cfg.host, s.options(ctx, &conns)...)
	if err != nil {
		return fmt.Errorf("configuring client: %w", err)
	}
	rec := &replyRecorder{}
	for _, cmd := range []string{"mail", "rcpt", "data"} {
		client.ErrorHandlerRegistry.RegisterHandler(s.cfg.host, cmd, rec)
	}

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	err = client.SendWithSMTPClient(sc, msg)
	if msg.IsDelivered() {
		// The server accepted the message: whatever RSET or QUIT answer
		// now, it is on its way.
		_ = client.CloseWithSMTPClient(sc)
		return nil
	}
	if err == nil {
		err = errors.New("message not delivered")
	}
	return &replyError{err: err, codes: rec.list()}
}

// options returns go-mail's client options for one Send.
func (s *Sender) options(ctx context.Context, conns *connSet) []gomail.Option {
	// With a deadline, go-mail's per-exchange timeout is set a little past
	// it, so that the context (which closes the connection) ends the
	// conversation and the error says so.
	timeout := idleTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(deadline), 0) + time.Second
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(s.cfg.tls),
		gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			return s.dial(ctx, dctx, network, addr, conns)
		}),
	}
	if s.cfg.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(s.cfg.tlsPolicy))
	}
	if s.cfg.user != "" {
		opts = append(opts, gomail.WithUsername(s.cfg.user), gomail.WithPassword(s.cfg.password))
		if s.cfg.auth != "" {
			opts = append(opts, gomail.WithSMTPAuth(s.cfg.auth))
		} else {
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(preferredMechs...))
		}
	}
	return opts
}

// dial connects to the server (with the TLS handshake for smtps) and
// arranges for the connection to be closed as soon as ctx, the context of
// the whole Send, is done: go-mail's own deadlines only cover each exchange.
func (s *Sender) dial(ctx, dctx context.Context, network, addr string, conns *connSet) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	conns.add(ctx, raw)
	if !s.cfg.implicitTLS {
		return raw, nil
	}
	tc := tls.Client(raw, s.cfg.tls)
	if err := tc.HandshakeContext(dctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// connSet holds the raw connections of one Send, closed when its context is
// done and when Send returns.
type connSet struct {
	mu    sync.Mutex
	conns []net.Conn
	stops []func() bool
}

func (c *connSet) add(ctx context.Context, conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conns = append(c.conns, conn)
	c.stops = append(c.stops, context.AfterFunc(ctx, func() { conn.Close() }))
}

func (c *connSet) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, conn := range c.conns {
		c.stops[i]()
		conn.Close()
	}
	c.conns, c.stops = nil, nil
}
