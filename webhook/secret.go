package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix starts every secret written the Standard Webhooks way.
const SecretPrefix = "whsec_"

// Bounds of a secret's key, in bytes. The specification asks for 24 to 64.
const (
	// MinKeyBytes is the smallest key ParseSecret accepts.
	MinKeyBytes = 24
	// MaxKeyBytes is the largest key ParseSecret accepts.
	MaxKeyBytes = 64
	// maxSecretChars bounds the text of a secret before decoding.
	maxSecretChars = len(SecretPrefix) + 4*MaxKeyBytes/3 + 4
)

// ErrInvalidSecret is returned by ParseSecret for a secret that is not
// "whsec_" followed by the standard base64 of 24 to 64 bytes.
var ErrInvalidSecret = errors.New("webhook: invalid secret")

// GenerateSecret returns a new secret: "whsec_" followed by the standard
// base64 of 32 random bytes.
func GenerateSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook: generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret returns the key of a "whsec_<base64>" secret. Errors wrap
// ErrInvalidSecret and say what is wrong, never the secret itself.
func ParseSecret(secret string) ([]byte, error) {
	if len(secret) > maxSecretChars {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrInvalidSecret, maxSecretChars)
	}
	enc, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: does not start with %q", ErrInvalidSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: not standard base64 after %q", ErrInvalidSecret, SecretPrefix)
	}
	if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("%w: key is %d bytes, want %d to %d", ErrInvalidSecret, len(key), MinKeyBytes, MaxKeyBytes)
	}
	return key, nil
}

// KeyOf returns the key of a secret: the decoded key of a "whsec_" secret
// (checked by ParseSecret), else the secret's bytes as they are, for
// secrets shared before Standard Webhooks were supported.
func KeyOf(secret string) ([]byte, error) {
	if strings.HasPrefix(secret, SecretPrefix) {
		return ParseSecret(secret)
	}
	if secret == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	return []byte(secret), nil
}
