package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"go.opentelemetry.io/otel/trace"
)

// Default ports, chosen by scheme and credentials when Config.URL has none.
const (
	// PortSMTP is the default port of smtp:// URLs without credentials
	// (relay to a mail server).
	PortSMTP = 25
	// PortSubmission is the default port of smtp:// URLs with credentials
	// (mail submission with STARTTLS, RFC 6409).
	PortSubmission = 587
	// PortSMTPS is the default port of smtps:// URLs (implicit TLS,
	// RFC 8314).
	PortSMTPS = 465
)

// Config configures a Sender.
type Config struct {
	// URL names the SMTP server, the credentials and the TLS mode:
	//
	//	smtp://[user[:password]@]host[:port][?tls=opportunistic|mandatory|none][&auth=MECH]
	//	smtps://[user[:password]@]host[:port][?auth=MECH]
	//
	// smtp:// starts with a plain connection and upgrades it with STARTTLS:
	// tls=opportunistic (the default) when the server offers it,
	// tls=mandatory always (failing when the server does not offer it),
	// tls=none never. smtps:// uses TLS from the first byte. The port
	// defaults to PortSMTPS (465) for smtps://, PortSubmission (587) for
	// smtp:// with a user and PortSMTP (25) otherwise. User and password
	// are percent-decoded. With a user, the client authenticates with the
	// first mechanism the server offers among SCRAM-SHA-256, SCRAM-SHA-1,
	// PLAIN, LOGIN and CRAM-MD5, or with the one named by auth (plain,
	// login, cram-md5, scram-sha-1, scram-sha-256, xoauth2, where the
	// password is the token). PLAIN and LOGIN send the password only over
	// TLS or to a loopback host. Required.
	URL string

	// From is the sender, as an RFC 5322 address with an optional display
	// name, for example "Shop <shop@example.com>". It is the From header and
	// the envelope sender. Required.
	From string

	// InsecureSkipVerify turns off verification of the server's
	// certificate, for tests with self-signed certificates. Default: false.
	InsecureSkipVerify bool

	// TLSConfig is the base TLS configuration, for example with RootCAs
	// for a private CA. It is cloned; ServerName defaults to the URL's host
	// and MinVersion to TLS 1.2. Default: nil, the system roots.
	TLSConfig *tls.Config

	// TracerProvider makes the "smtp send" client span of each Send, a
	// child of the span in Send's context (the step attempt's). Default:
	// the global provider (otel.GetTracerProvider()).
	TracerProvider trace.TracerProvider
}

// settings is a Config parsed and validated.
type settings struct {
	host        string
	port        int
	implicitTLS bool
	tlsPolicy   gomail.TLSPolicy
	user        string
	password    string
	auth        gomail.SMTPAuthType // empty: negotiate
	from        string
	tls         *tls.Config
}

// authMechs maps the auth URL parameter to go-mail's mechanisms.
var authMechs = map[string]gomail.SMTPAuthType{
	"plain":         gomail.SMTPAuthPlain,
	"login":         gomail.SMTPAuthLogin,
	"cram-md5":      gomail.SMTPAuthCramMD5,
	"scram-sha-1":   gomail.SMTPAuthSCRAMSHA1,
	"scram-sha-256": gomail.SMTPAuthSCRAMSHA256,
	"xoauth2":       gomail.SMTPAuthXOAUTH2,
}

// preferredMechs is the order in which mechanisms are tried when the URL
// names none: challenge-response first, then PLAIN and LOGIN (which go-mail
// refuses to send in the clear except to a loopback host).
var preferredMechs = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5,
}

var tlsPolicies = map[string]gomail.TLSPolicy{
	"opportunistic": gomail.TLSOpportunistic,
	"mandatory":     gomail.TLSMandatory,
	"none":          gomail.NoTLS,
}

// parse validates cfg. Its errors name the field and never include the
// password.
func parse(cfg Config) (*settings, error) {
	s, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.From) == "" {
		return nil, fmt.Errorf("email: Config.From is empty")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email: Config.From %q: %w", cfg.From, err)
	}
	s.from = cfg.From

	if cfg.TLSConfig != nil {
		s.tls = cfg.TLSConfig.Clone()
	} else {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	if s.tls.MinVersion == 0 {
		s.tls.MinVersion = tls.VersionTLS12
	}
	if cfg.InsecureSkipVerify {
		s.tls.InsecureSkipVerify = true
	}
	return s, nil
}

func parseURL(raw string) (*settings, error) {
	if raw == "" {
		return nil, fmt.Errorf("email: Config.URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error quotes the input, password included; an EscapeError
		// quotes part of it.
		reason := "malformed"
		var ue *url.Error
		var ee url.EscapeError
		if errors.As(err, &ue) && !errors.As(err, &ee) {
			reason = ue.Err.Error()
		}
		return nil, fmt.Errorf("email: Config.URL is not a valid URL (want smtp://user:pass@host:port): %s", reason)
	}
	s := &settings{tlsPolicy: gomail.TLSOpportunistic}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("email: Config.URL %s: scheme %q is not smtp or smtps", u.Redacted(), u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("email: Config.URL %s: unexpected path (want smtp://user:pass@host:port)", u.Redacted())
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, fmt.Errorf("email: Config.URL %s: no host", u.Redacted())
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
		if s.user == "" {
			return nil, fmt.Errorf("email: Config.URL %s: password without user name", u.Redacted())
		}
	}
	if err := s.parsePort(u); err != nil {
		return nil, err
	}
	if err := s.parseQuery(u); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *settings) parsePort(u *url.URL) error {
	switch p := u.Port(); {
	case p != "":
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return fmt.Errorf("email: Config.URL %s: port %q out of range", u.Redacted(), p)
		}
		s.port = port
	case s.implicitTLS:
		s.port = PortSMTPS
	case s.user != "":
		s.port = PortSubmission
	default:
		s.port = PortSMTP
	}
	return nil
}

func (s *settings) parseQuery(u *url.URL) error {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("email: Config.URL %s: query: %w", u.Redacted(), err)
	}
	for key, values := range q {
		if len(values) != 1 {
			return fmt.Errorf("email: Config.URL %s: parameter %s given %d times", u.Redacted(), key, len(values))
		}
		v := strings.ToLower(values[0])
		switch key {
		case "tls":
			policy, ok := tlsPolicies[v]
			if !ok {
				return fmt.Errorf("email: Config.URL %s: tls=%s: want opportunistic, mandatory or none", u.Redacted(), values[0])
			}
			if s.implicitTLS {
				return fmt.Errorf("email: Config.URL %s: tls= applies to smtp:// (smtps:// always uses TLS)", u.Redacted())
			}
			s.tlsPolicy = policy
		case "auth":
			mech, ok := authMechs[v]
			if !ok {
				return fmt.Errorf("email: Config.URL %s: auth=%s: want plain, login, cram-md5, scram-sha-1, scram-sha-256 or xoauth2", u.Redacted(), values[0])
			}
			s.auth = mech
		default:
			return fmt.Errorf("email: Config.URL %s: unknown parameter %q (want tls or auth)", u.Redacted(), key)
		}
	}
	if s.auth != "" && s.user == "" {
		return fmt.Errorf("email: Config.URL %s: auth=%s needs a user name", u.Redacted(), q.Get("auth"))
	}
	return nil
}

// addr returns host:port.
func (s *settings) addr() string {
	return net.JoinHostPort(s.host, strconv.Itoa(s.port))
}
