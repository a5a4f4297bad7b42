package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// KeyPrefix starts every key Ordo generates, so a leaked key is easy to
// recognise (and to find with secret scanners).
const KeyPrefix = "ordo_"

// keyBytes is how many random bytes a generated key holds.
const keyBytes = 32

// MinBootstrapKeyLength is the shortest key accepted from ORDO_API_KEY or
// --api-key-file: as many characters as a generated key's random part.
const MinBootstrapKeyLength = 32

// maxKeyLength bounds what is hashed from an Authorization header.
const maxKeyLength = 512

// GenerateKey returns a new random key: KeyPrefix and 32 random bytes in
// base64url.
func GenerateKey() (string, error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: generate key: %w", err)
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashKey returns the hex SHA-256 of key: what is stored instead of it.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// DisplayPrefix returns the start of a key kept to tell keys apart in
// listings ("ordo_AbC1"); it reveals 4 random characters only.
func DisplayPrefix(key string) string {
	n := len(KeyPrefix) + 4
	if !strings.HasPrefix(key, KeyPrefix) {
		n = 4
	}
	if len(key) < n {
		return ""
	}
	return key[:n]
}
