package rest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the request header that carries the signature.
const SignatureHeader = "Ordo-Signature"

// DefaultSignatureTolerance is how far a signature's timestamp may be from
// the receiver's clock when VerifySignature is given no tolerance.
const DefaultSignatureTolerance = 5 * time.Minute

// Errors returned by VerifySignature. Test for them with errors.Is.
var (
	// ErrNoSignature is returned when the header is empty.
	ErrNoSignature = errors.New("rest: no signature")
	// ErrMalformedSignature is returned when the header is not of the
	// form "t=<unix seconds>,v1=<hex>[,v1=<hex>...]".
	ErrMalformedSignature = errors.New("rest: malformed signature header")
	// ErrSignatureExpired is returned when the timestamp is further from
	// now than the tolerance, in either direction.
	ErrSignatureExpired = errors.New("rest: signature timestamp outside tolerance")
	// ErrSignatureMismatch is returned when no v1 signature matches the
	// body and secret.
	ErrSignatureMismatch = errors.New("rest: signature does not match")
)

// Sign returns the Ordo-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// VerifySignature checks an Ordo-Signature header value against the body
// received and the shared secret. It returns nil when the header has a
// timestamp within tolerance of now and at least one v1 signature equal to
// HMAC-SHA256(secret, "<t>.<body>") (compared in constant time). A
// tolerance of zero or less means DefaultSignatureTolerance. The errors are
// ErrNoSignature, ErrMalformedSignature, ErrSignatureExpired and
// ErrSignatureMismatch, possibly wrapped.
func VerifySignature(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not a number", ErrMalformedSignature, ts)
	}
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	if age := now.Sub(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %d, %s from now, tolerance %s", ErrSignatureExpired, unix, age.Round(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// parseSignature splits the header into its timestamp and v1 signatures.
// Entries with other keys are ignored.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	for item := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: entry %q has no '='", ErrMalformedSignature, item)
		}
		switch key {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one timestamp", ErrMalformedSignature)
			}
			ts = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 %q is not a hex SHA-256 HMAC", ErrMalformedSignature, value)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no timestamp", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1 signature", ErrMalformedSignature)
	}
	return ts, sigs, nil
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
