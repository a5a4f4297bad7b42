package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a message's timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// maxSignatures bounds the signatures of one header that Verify reads.
const maxSignatures = 16

// Errors returned by Verify; test for them with errors.Is.
var (
	// ErrMissingHeaders is returned when webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty.
	ErrMissingHeaders = errors.New("webhook: missing required headers")
	// ErrInvalidHeaders is returned when the timestamp is not a number.
	ErrInvalidHeaders = errors.New("webhook: invalid signature headers")
	// ErrTimestamp is returned when the timestamp is further from now than
	// the tolerance.
	ErrTimestamp = errors.New("webhook: timestamp outside tolerance")
	// ErrNoMatch is returned when no v1 signature matches.
	ErrNoMatch = errors.New("webhook: no matching signature")
)

// Verify checks a received message: its headers h, its body and the key
// (from ParseSecret or KeyOf). It returns nil when the three headers are
// present, the timestamp is within tolerance of now (tolerance <= 0 means
// DefaultTolerance) and one of the space-separated v1 signatures equals the
// message's (compared in constant time; other versions are skipped).
func Verify(key []byte, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not a number", ErrInvalidHeaders, ts)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if age := now.Sub(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %d, %s from now, tolerance %s", ErrTimestamp, unix, age.Round(time.Second), tolerance)
	}
	want := mac(key, id, ts, body)
	for i, sig := range strings.Fields(sigs) {
		if i == maxSignatures {
			break
		}
		version, enc, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
