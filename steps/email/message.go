package email

import (
	"bytes"
	"fmt"
	"mime"
	"net/textproto"
	"path/filepath"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail.
type Message struct {
	// To holds the recipients, each an RFC 5322 address with an optional
	// display name ("Ada <ada@example.com>"). At least one is required.
	To []string
	// Subject is the subject line; it must not contain line breaks.
	Subject string
	// Body is the plain-text body (text/plain; charset=UTF-8).
	Body string
	// MessageID is the Message-ID header without angle brackets, for
	// example MessageID(instanceID, stepKey, domain). Derive it from the
	// step so that every attempt sends the same ID: a message sent twice
	// (after a crash between delivery and the step's journal entry) can
	// then be recognised by the ID. Empty: go-mail generates a random one.
	MessageID string
	// Attachments are added as MIME parts after the body. Optional.
	Attachments []Attachment
	// Headers are extra header fields, for example "Reply-To" or
	// "X-Ordo-Instance". Reply-To must hold addresses. Headers that Send
	// sets itself (From, To, Cc, Bcc, Subject, Message-ID, Date,
	// MIME-Version, Content-*) are rejected. Optional.
	Headers map[string]string
}

// Attachment is a file attached to a Message.
type Attachment struct {
	// Name is the file name shown to the recipient; it must not contain
	// a path separator or a line break. Required.
	Name string
	// ContentType is the MIME type, for example "application/pdf".
	// Default: guessed from Name's extension, else
	// "application/octet-stream".
	ContentType string
	// Data is the file's content.
	Data []byte
}

// reservedHeaders are set by Send and cannot be given in Message.Headers.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Sender": true, "Subject": true,
	"Message-Id": true, "Date": true, "Mime-Version": true, "Return-Path": true,
}

// build validates m and turns it into a go-mail message. Its errors are
// about the message, so retrying cannot help.
func (s *Sender) build(m *Message) (*gomail.Msg, error) {
	if m == nil {
		return nil, fmt.Errorf("nil message")
	}
	if len(m.To) == 0 {
		return nil, fmt.Errorf("message has no recipients")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.cfg.from); err != nil {
		return nil, fmt.Errorf("from address %q: %w", s.cfg.from, err)
	}
	for _, to := range m.To {
		if err := msg.AddTo(to); err != nil {
			return nil, fmt.Errorf("recipient %q: %w", to, err)
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("subject contains a line break")
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		if err := checkMessageID(m.MessageID); err != nil {
			return nil, err
		}
		msg.SetMessageIDWithValue(m.MessageID)
	}
	msg.SetDate()
	msg.SetUserAgent(UserAgent)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if err := setHeaders(msg, m.Headers); err != nil {
		return nil, err
	}
	for i, a := range m.Attachments {
		if err := attach(msg, a); err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
	}
	return msg, nil
}

func setHeaders(msg *gomail.Msg, headers map[string]string) error {
	for name, value := range headers {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if !validHeaderName(name) {
			return fmt.Errorf("header name %q is invalid", name)
		}
		if reservedHeaders[canon] || strings.HasPrefix(canon, "Content-") {
			return fmt.Errorf("header %s is set by Send and cannot be given", canon)
		}
		if strings.ContainsAny(value, "\r\n") {
			return fmt.Errorf("header %s: value contains a line break", canon)
		}
		if canon == "Reply-To" {
			if err := msg.ReplyTo(value); err != nil {
				return fmt.Errorf("header Reply-To %q: %w", value, err)
			}
			continue
		}
		msg.SetGenHeader(gomail.Header(canon), value)
	}
	return nil
}

func attach(msg *gomail.Msg, a Attachment) error {
	if a.Name == "" {
		return fmt.Errorf("name is empty")
	}
	if strings.ContainsAny(a.Name, "/\\\r\n") {
		return fmt.Errorf("name %q contains a path separator or line break", a.Name)
	}
	ct := a.ContentType
	if ct == "" {
		ct = mime.TypeByExtension(filepath.Ext(a.Name))
	}
	if ct == "" {
		ct = string(gomail.TypeAppOctetStream)
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return fmt.Errorf("%s: content type %q: %w", a.Name, ct, err)
	}
	if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
		return fmt.Errorf("%s: %w", a.Name, err)
	}
	return nil
}

// checkMessageID accepts an RFC 5322 msg-id without its angle brackets:
// printable ASCII without white space or brackets, with one "@" that is
// neither first nor last.
func checkMessageID(id string) error {
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || strings.Count(id, "@") != 1 {
		return fmt.Errorf("message ID %q: want left@right without angle brackets", id)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return fmt.Errorf("message ID %q: character %q not allowed", id, c)
		}
	}
	return nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}
