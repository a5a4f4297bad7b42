package flow

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
)

// Concurrency is a flow's "concurrency" (object form): at most Limit
// orders of the flow whose Key evaluates to the same text run at once;
// the others wait, oldest first, without holding a worker (see
// ordo.Concurrency: an order holds its slot while it runs, not while it
// waits).
type Concurrency struct {
	// Key is "key": what orders share a slot by, a dotted path into the
	// order document (ConcurrencyKeys): "customer.email",
	// "customer.name" or "metadata.NAME". "" (absent): every order of the
	// flow shares one limit.
	Key string
	// Limit is "limit": how many orders of one key run at once, 1 to
	// MaxConcurrencyLimit.
	Limit int
}

// Bounds of a flow's concurrency.
const (
	MaxConcurrencyLimit  = 10000
	MaxConcurrencyKeyLen = 200
)

// ConcurrencyKeys are the paths a concurrency key may name; NAME is 1 to
// 64 letters, digits, '_', '.' or '-' (a metadata field, whose string,
// number or boolean value is the key; absent or of another type, "").
var ConcurrencyKeys = []string{"customer.email", "customer.name", "metadata.NAME"}

var metadataKey = regexp.MustCompile(`^metadata\.[A-Za-z0-9_.-]{1,64}$`)

// validConcurrencyKey reports whether key is one of ConcurrencyKeys.
func validConcurrencyKey(key string) bool {
	return key == "customer.email" || key == "customer.name" || metadataKey.MatchString(key)
}

// concurrencyJSON is the written form of Concurrency.
type concurrencyJSON struct {
	Key   string `json:"key,omitempty"`
	Limit int    `json:"limit"`
}

// checkConcurrency checks the flow's concurrency object: the limit's range
// and the key's form; wrong JSON types are the schema's to report.
func (d *document) checkConcurrency(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	// A fraction is the schema's (not an integer).
	if n, ok := m["limit"].(json.Number); ok {
		if f, err := n.Float64(); err == nil && f == math.Trunc(f) && (f < 1 || f > MaxConcurrencyLimit) {
			d.add(CodeInvalidConcurrency, []string{"concurrency", "limit"},
				"concurrency limit must be from 1 to %d, got %s", MaxConcurrencyLimit, show(n))
		}
	}
	if key, ok := m["key"].(string); ok {
		switch {
		case len(key) > MaxConcurrencyKeyLen:
			d.add(CodeInvalidConcurrency, []string{"concurrency", "key"},
				"concurrency key is %d characters long; at most %d", len(key), MaxConcurrencyKeyLen)
		case !validConcurrencyKey(key):
			d.add(CodeInvalidConcurrency, []string{"concurrency", "key"},
				"concurrency key %s must name a field of the order: %s", show(key), strings.Join(ConcurrencyKeys, ", "))
		}
	}
}

// buildConcurrency reads a validated concurrency object; nil for none.
func buildConcurrency(v any) *Concurrency {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	c := &Concurrency{}
	c.Key, _ = m["key"].(string)
	if n, ok := m["limit"].(json.Number); ok {
		f, _ := n.Float64()
		c.Limit = int(f)
	}
	return c
}
