package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
)

// maxSessionLength bounds a session cookie value before it is parsed.
const maxSessionLength = 1024

// NewSession returns a session cookie value for p valid for ttl, and when it
// expires. It is "name.expiry.mac": the MAC is an HMAC-SHA256 keyed with the
// key's stored hash, so only a process that can read the key store can
// mint one, and revoking the key ends every session made with it.
func (a *Authenticator) NewSession(ctx context.Context, p *Principal, ttl time.Duration) (string, time.Time, error) {
	if p == nil || ttl < time.Second {
		return "", time.Time{}, fmt.Errorf("%w: a session needs a principal and a lifetime of at least 1s", ordo.ErrInvalidArgument)
	}
	_, hash, err := a.lookupName(ctx, p.Name)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := a.cfg.Now().Add(ttl).Truncate(time.Second)
	name := base64.RawURLEncoding.EncodeToString([]byte(p.Name))
	ts := strconv.FormatInt(exp.Unix(), 10)
	return name + "." + ts + "." + sessionMAC(hash, p.Name, ts), exp, nil
}

// Session returns the principal of a session cookie value made by
// NewSession, or ErrUnauthenticated when it is malformed, forged, expired
// or its key was revoked.
func (a *Authenticator) Session(ctx context.Context, value string) (*Principal, error) {
	if value == "" || len(value) > maxSessionLength {
		return nil, ErrUnauthenticated
	}
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return nil, ErrUnauthenticated
	}
	nb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, ErrUnauthenticated
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !a.cfg.Now().Before(time.Unix(exp, 0)) {
		return nil, ErrUnauthenticated
	}
	p, hash, err := a.lookupName(ctx, string(nb))
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(parts[2]), []byte(sessionMAC(hash, p.Name, parts[1]))) {
		return nil, ErrUnauthenticated
	}
	return &p, nil
}

func sessionMAC(keyHash, name, expiry string) string {
	k, _ := hex.DecodeString(keyHash)
	m := hmac.New(sha256.New, k)
	m.Write([]byte("ordo-session\x00" + name + "\x00" + expiry))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
