package rest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/steps/rest"
)

func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	got := rest.Sign([]byte("secret"), []byte(`{"a":1}`), time.Unix(1767225600, 0))
	// printf '1767225600.{"a":1}' | openssl dgst -sha256 -hmac secret
	want := "t=1767225600,v1=96a067a1c95eb143fc00b9097bcfcbcd5456adda508c443ff219748e764dbed7"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec_1")
	body := []byte(`{"order":"o-1"}`)
	signedAt := time.Unix(1767225600, 0)
	good := rest.Sign(secret, body, signedAt)
	_, goodSig, _ := strings.Cut(good, ",")
	other := rest.Sign([]byte("old secret"), body, signedAt)
	_, otherSig, _ := strings.Cut(other, ",")

	tests := []struct {
		name      string
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "valid", header: good, body: body, now: signedAt},
		{name: "valid within tolerance", header: good, body: body, now: signedAt.Add(4 * time.Minute)},
		{name: "clock behind within tolerance", header: good, body: body, now: signedAt.Add(-4 * time.Minute)},
		{name: "rotated secret, second v1 matches", header: "t=1767225600," + otherSig + "," + goodSig, body: body, now: signedAt},
		{name: "unknown scheme ignored", header: good + ",v2=zzz", body: body, now: signedAt},
		{name: "spaces", header: "t=1767225600, " + goodSig, body: body, now: signedAt},
		{name: "tampered body", header: good, body: []byte(`{"order":"o-2"}`), now: signedAt, want: rest.ErrSignatureMismatch},
		{name: "wrong secret", header: other, body: body, now: signedAt, want: rest.ErrSignatureMismatch},
		{name: "stale", header: good, body: body, now: signedAt.Add(6 * time.Minute), want: rest.ErrSignatureExpired},
		{name: "stale with tight tolerance", header: good, body: body, now: signedAt.Add(31 * time.Second), tolerance: 30 * time.Second, want: rest.ErrSignatureExpired},
		{name: "from the future", header: good, body: body, now: signedAt.Add(-6 * time.Minute), want: rest.ErrSignatureExpired},
		{name: "replayed timestamp", header: "t=1767225601," + goodSig, body: body, now: signedAt, want: rest.ErrSignatureMismatch},
		{name: "empty", header: "", body: body, now: signedAt, want: rest.ErrNoSignature},
		{name: "no timestamp", header: goodSig, body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "two timestamps", header: "t=1,t=2," + goodSig, body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "timestamp not a number", header: "t=now," + goodSig, body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "no v1", header: "t=1767225600", body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "v1 not hex", header: "t=1767225600,v1=xyz", body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "v1 too short", header: "t=1767225600,v1=abcd", body: body, now: signedAt, want: rest.ErrMalformedSignature},
		{name: "garbage", header: "sha256 abc", body: body, now: signedAt, want: rest.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := rest.VerifySignature(secret, tt.header, tt.body, tt.tolerance, tt.now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifySignature(%q): %v", tt.header, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifySignature(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}
