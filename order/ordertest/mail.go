package ordertest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Mail is a message a MailServer accepted, decoded.
type Mail struct {
	// From and To are the SMTP envelope.
	From string
	To   []string
	// Header holds the message's header fields.
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// MessageID is the Message-ID header without angle brackets.
	MessageID string
	// Text is the decoded text/plain body.
	Text string
	// Attachments maps attachment file names to their decoded content.
	Attachments map[string][]byte
	// Raw is the message as received.
	Raw []byte
}

func parseMail(from string, to []string, raw []byte) (*Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &Mail{From: from, To: to, Header: msg.Header, Raw: raw, Attachments: map[string][]byte{}}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	m.MessageID = strings.Trim(msg.Header.Get("Message-Id"), "<> ")
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body); err != nil {
		return nil, err
	}
	return m, nil
}

// readPart decodes one MIME part, descending into multiparts.
func (m *Mail) readPart(contentType, encoding, disposition string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if disposition != "" {
		if _, dp, err := mime.ParseMediaType(disposition); err == nil && dp["filename"] != "" {
			m.Attachments[dp["filename"]] = data
			return nil
		}
	}
	if mt == "text/plain" && m.Text == "" {
		m.Text = string(data)
	}
	return nil
}
