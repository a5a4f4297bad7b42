package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/webhook"
)

// The specification's published test vector (standard-webhooks, libraries/go
// webhook_test.go TestWebhookSign).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorUnix      = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// vectorWrong is the specification's "invalid signature" value.
	vectorWrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

func vectorKey(t *testing.T) []byte {
	t.Helper()
	key, err := webhook.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestSignVector(t *testing.T) {
	got := webhook.Sign(vectorKey(t), vectorID, time.Unix(vectorUnix, 0), []byte(vectorBody))
	if got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
}

func vectorHeaders(sig string, unix int64) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(unix, 10))
	h.Set(webhook.HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	now := time.Unix(vectorUnix, 0)
	tol := 5 * time.Minute
	tests := []struct {
		name   string
		header http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"vector is valid", vectorHeaders(vectorSignature, vectorUnix), vectorBody, now, nil},
		{"missing id", func() http.Header { h := vectorHeaders(vectorSignature, vectorUnix); h.Del(webhook.HeaderID); return h }(), vectorBody, now, webhook.ErrMissingHeaders},
		{"missing timestamp", func() http.Header {
			h := vectorHeaders(vectorSignature, vectorUnix)
			h.Del(webhook.HeaderTimestamp)
			return h
		}(), vectorBody, now, webhook.ErrMissingHeaders},
		{"missing signature", vectorHeaders("", vectorUnix), vectorBody, now, webhook.ErrMissingHeaders},
		{"invalid signature", vectorHeaders(vectorWrong, vectorUnix), vectorBody, now, webhook.ErrNoMatch},
		{"body changed", vectorHeaders(vectorSignature, vectorUnix), vectorBody + " ", now, webhook.ErrNoMatch},
		{"timestamp not a number", vectorHeaders(vectorSignature, 0), vectorBody, now, nil},
		{"old timestamp", vectorHeaders(vectorSignature, vectorUnix), vectorBody, now.Add(tol + time.Second), webhook.ErrTimestamp},
		{"new timestamp", vectorHeaders(vectorSignature, vectorUnix), vectorBody, now.Add(-tol - time.Second), webhook.ErrTimestamp},
		{"at the tolerance", vectorHeaders(vectorSignature, vectorUnix), vectorBody, now.Add(tol), nil},
		{"multi signature", vectorHeaders(strings.Join([]string{vectorWrong, "v2," + strings.TrimPrefix(vectorSignature, "v1,"), vectorSignature, vectorWrong}, " "), vectorUnix), vectorBody, now, nil},
		{"only another version", vectorHeaders("v2,"+strings.TrimPrefix(vectorSignature, "v1,"), vectorUnix), vectorBody, now, webhook.ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "timestamp not a number" {
				tt.header.Set(webhook.HeaderTimestamp, "soon")
				tt.want = webhook.ErrInvalidHeaders
			}
			err := webhook.Verify(vectorKey(t), tt.header, []byte(tt.body), tol, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSetHeadersRoundTrip(t *testing.T) {
	secret, err := webhook.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatalf("generated secret %q: %v", secret, err)
	}
	if len(key) != 32 {
		t.Fatalf("key is %d bytes, want 32", len(key))
	}
	h := http.Header{}
	now := time.Unix(1_800_000_000, 0)
	webhook.SetHeaders(h, key, "msg_1", now, []byte(`{}`))
	if err := webhook.Verify(key, h, []byte(`{}`), 0, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		secret string
		ok     bool
	}{
		{vectorSecret, true},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"whsec_not base64!", false},
		{"whsec_c2hvcnQ=", false},
		{"whsec_" + strings.Repeat("A", 200), false},
	}
	for _, tt := range tests {
		_, err := webhook.ParseSecret(tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("ParseSecret(%.20q) = %v, want ok %v", tt.secret, err, tt.ok)
		}
		if err != nil && !errors.Is(err, webhook.ErrInvalidSecret) {
			t.Errorf("error %v does not wrap ErrInvalidSecret", err)
		}
	}
	if key, err := webhook.KeyOf("plain-shared-secret"); err != nil || string(key) != "plain-shared-secret" {
		t.Errorf("KeyOf(plain) = %q, %v", key, err)
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		10: 2560 * time.Second, 11: time.Hour, 40: time.Hour} {
		if got := webhook.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}
