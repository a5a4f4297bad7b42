package rest

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// excerptBytes is how much of a response body an error message quotes.
const excerptBytes = 200

// readBody reads up to limit bytes of r. tooLarge reports whether r held
// more; body then holds the first limit bytes.
func readBody(r io.Reader, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, err
	}
	return body, false, err
}

// toJSON returns body as JSON: as is when it is valid JSON, nil when it is
// empty, and otherwise as a JSON string.
func toJSON(body []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if json.Valid(trimmed) {
		return json.RawMessage(trimmed), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(string(body)); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// excerpt returns the start of body on one line, for error messages.
func excerpt(body []byte) string {
	b := bytes.TrimSpace(body)
	cut := false
	if len(b) > excerptBytes {
		// Cut at a rune boundary.
		n := excerptBytes
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
		cut = true
	}
	s := strings.Join(strings.FieldsFunc(string(b), unicode.IsSpace), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if cut {
		s += "…"
	}
	return s
}
