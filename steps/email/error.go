package email

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gomailsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/ordohq/ordo"
)

// SendError is the error Send returns, wrapped in ordo.NonRetryable when
// Permanent. Find it with errors.As.
type SendError struct {
	// Server is the server as Sender.Server returns it.
	Server string
	// To holds the message's recipients.
	To []string
	// Code is the SMTP reply code that decided the outcome (for example
	// 451 or 550), or 0 when the failure was not an SMTP reply (invalid
	// message, network, TLS or timeout).
	Code int
	// Permanent reports whether retrying cannot help.
	Permanent bool
	// Err is the cause.
	Err error
}

// Error names the server, the recipients and the cause.
func (e *SendError) Error() string {
	to := "no recipients"
	if len(e.To) > 0 {
		to = strings.Join(e.To, ", ")
	}
	return fmt.Sprintf("email: sending to %s via %s: %v", to, e.Server, e.Err)
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// permanentCauses are failures other than SMTP replies that a retry would
// meet again: the message cannot be encoded as the server needs, or the
// configured credentials cannot be used with this server.
var permanentCauses = []error{
	ordo.ErrInvalidArgument,
	gomailsmtp.ErrUnencrypted,
	gomail.ErrNoSupportedAuthDiscovered,
	gomail.ErrServerNoUnencoded,
	gomail.ErrPlainAuthNotSupported,
	gomail.ErrLoginAuthNotSupported,
	gomail.ErrCramMD5AuthNotSupported,
	gomail.ErrXOauth2AuthNotSupported,
	gomail.ErrSCRAMSHA1AuthNotSupported,
	gomail.ErrSCRAMSHA256AuthNotSupported,
}

// classify wraps err, a failure of Send, as retryable or not.
func (s *Sender) classify(ctx context.Context, m *Message, err error) error {
	e := &SendError{Server: s.Server(), Err: err}
	if m != nil {
		e.To = m.To
	}
	code := decisiveCode(replyCodes(err))
	switch {
	case code >= 500:
		e.Code, e.Permanent = code, true
	case code >= 400:
		e.Code = code
	case isPermanentCause(err):
		e.Permanent = true
	case ctxErr(ctx) != nil:
		// The connection was closed because the context is done.
		if cerr := ctxErr(ctx); !errors.Is(err, cerr) {
			e.Err = fmt.Errorf("%w: %w", cerr, err)
		}
	}
	if e.Permanent {
		return ordo.NonRetryable(e)
	}
	return e
}

// ctxErr returns ctx's error, or context.DeadlineExceeded once the deadline
// has passed even if the context's timer has not fired yet.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// decisiveCode returns the first 5xx code, else the first 4xx code, else 0:
// one permanent refusal (a recipient that does not exist) makes the whole
// message fail for good, since the transaction is all or nothing.
func decisiveCode(codes []int) int {
	first4xx := 0
	for _, c := range codes {
		if c >= 500 && c < 600 {
			return c
		}
		if c >= 400 && c < 500 && first4xx == 0 {
			first4xx = c
		}
	}
	return first4xx
}

// replyCodes collects the SMTP error reply codes behind err: those
// recorded during the transaction, the one go-mail's SendError carries (the
// reply to the end of DATA is only there) and any *textproto.Error in the
// chain (greeting, EHLO, STARTTLS, AUTH).
func replyCodes(err error) []int {
	var codes []int
	var re *replyError
	if errors.As(err, &re) {
		codes = append(codes, re.codes...)
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		codes = append(codes, se.ErrorCode())
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		codes = append(codes, te.Code)
	}
	return codes
}

func isPermanentCause(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return true
		}
	}
	for _, target := range permanentCauses {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// replyError carries the SMTP error replies recorded during a transaction.
type replyError struct {
	err   error
	codes []int
}

func (e *replyError) Error() string { return e.err.Error() }
func (e *replyError) Unwrap() error { return e.err }

// replyRecorder is a go-mail error handler that records the codes of the
// error replies to MAIL, RCPT and DATA and passes the errors on unchanged.
// go-mail's SendError keeps only the last recipient's reply.
type replyRecorder struct {
	mu    sync.Mutex
	codes []int
}

// HandleError implements gomailsmtp.ResponseErrorHandler.
func (r *replyRecorder) HandleError(_, _ string, _ *textproto.Conn, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		r.mu.Lock()
		r.codes = append(r.codes, te.Code)
		r.mu.Unlock()
	}
	return err
}

func (r *replyRecorder) list() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.codes...)
}
