package auth

import (
	"net/http"
	"strings"
)

// BearerKey returns the key of an "Authorization: Bearer KEY" header.
// present is true whenever the header is there; a malformed one (another
// scheme, no key) gives key "".
func BearerKey(r *http.Request) (key string, present bool) {
	v := r.Header.Get("Authorization")
	if v == "" {
		return "", false
	}
	scheme, key, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(key), true
}
