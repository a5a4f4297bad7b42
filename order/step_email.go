package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/steps/email"
)

// errNoMailer fails send-email steps on a server started without SMTP.
var errNoMailer = errors.New("no SMTP server configured: start the server with --smtp-url (ORDO_SMTP_URL) and --mail-from (ORDO_MAIL_FROM)")

// emailOutput is the output of a send-email step.
type emailOutput struct {
	MessageID   string   `json:"messageId"`
	To          []string `json:"to"`
	Subject     string   `json:"subject"`
	Attachments []string `json:"attachments,omitempty"`
}

// TemplateData is what the recipients, subject and message of a send-email
// step are rendered over: {{.Order.ID}}, {{.Order.Customer.Name}},
// {{range .Order.Items}}{{.SKU}}{{end}}. Flows are checked against this
// type when they are applied (see ParseFlow), so a field the order does not
// have is a validation problem, not a failed e-mail.
type TemplateData struct {
	// Order is the order as GetOrder returns it, with the steps recorded so
	// far (without the send-email step itself).
	Order *Order
}

// templateDataType is the type of TemplateData, for flow validation.
var templateDataType = reflect.TypeFor[TemplateData]()

// sendEmail is the send-email step. Recipients, subject and message are
// rendered with email.Render over TemplateData within Config.TemplateLimits
// and the step's context (plain text is sent as written), the Message-ID is
// derived from the instance and step so that a resent message carries the
// same ID, and with attachProductionFiles the order's files are attached.
// Template errors, a template past a bound and a missing mailer fail the
// step without retry; SMTP failures are classified by steps/email (5xx
// permanent, 4xx and network errors retried).
func (s *Service) sendEmail(ctx context.Context, orderID string, sd *flow.StepDefinition) (json.RawMessage, error) {
	opts, err := sd.EmailOptions()
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	if s.cfg.Mailer == nil {
		return nil, ordo.NonRetryable(fmt.Errorf("step %q: %w", sd.ID, errNoMailer))
	}
	info, _ := ordo.StepInfoFrom(ctx)
	o, err := s.snapshot(ctx, orderID, info.Key)
	if err != nil {
		return nil, fmt.Errorf("step %q: read order: %w", sd.ID, err)
	}
	data := TemplateData{Order: o}
	limits := &s.cfg.TemplateLimits
	idKey := info.Key
	if info.Compensation {
		idKey += "/compensate" // not the Message-ID of the step it undoes
	}
	msg := &email.Message{
		MessageID: email.MessageID(info.InstanceID, idKey, s.cfg.MailDomain),
		Headers:   map[string]string{"X-Ordo-Order": orderID},
	}
	// Render's errors are non-retryable except a cancelled context.
	for i, r := range opts.Recipients {
		to, err := email.Render(ctx, fmt.Sprintf("recipients[%d]", i), r, data, limits)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", sd.ID, err)
		}
		if to = strings.TrimSpace(to); to == "" {
			return nil, ordo.NonRetryable(fmt.Errorf("step %q: recipients[%d] %q gave an empty address", sd.ID, i, r))
		}
		msg.To = append(msg.To, to)
	}
	if msg.Subject, err = email.Render(ctx, "subject", opts.Subject, data, limits); err != nil {
		return nil, fmt.Errorf("step %q: %w", sd.ID, err)
	}
	if msg.Body, err = email.Render(ctx, "message", opts.Message, data, limits); err != nil {
		return nil, fmt.Errorf("step %q: %w", sd.ID, err)
	}
	out := emailOutput{MessageID: msg.MessageID, To: msg.To, Subject: msg.Subject}
	if opts.AttachProductionFiles {
		for _, f := range o.Files {
			b, err := s.readFile(ctx, fileKey(orderID, f.Name))
			if err != nil {
				return nil, fmt.Errorf("step %q: attach %s: %w", sd.ID, f.Name, err)
			}
			msg.Attachments = append(msg.Attachments, email.Attachment{Name: f.Name, ContentType: contentType(f.Format), Data: b})
			out.Attachments = append(out.Attachments, f.Name)
		}
	}
	if err := s.cfg.Mailer.Send(ctx, msg); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// contentType is the media type of a production file format.
func contentType(format string) string {
	if format == "obj" {
		return "model/obj"
	}
	return "model/stl"
}
