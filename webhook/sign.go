package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// Header names of a signed request, as the specification spells them.
const (
	// HeaderID carries the message id, the same on every retry.
	HeaderID = "webhook-id"
	// HeaderTimestamp carries the time of signing in Unix seconds.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature carries space-separated "v1,<base64>" signatures.
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature value of a message: "v1," followed by
// the standard base64 of HMAC-SHA256(key, "<id>.<unix seconds>.<body>").
func Sign(key []byte, id string, t time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(t.Unix(), 10), body))
}

// SetHeaders signs a message and sets its three headers on h.
func SetHeaders(h http.Header, key []byte, id string, t time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(t.Unix(), 10))
	h.Set(HeaderSignature, Sign(key, id, t, body))
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
