package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ordohq/ordo"
)

// DefaultMaxJSONDepth is how deeply request bodies may nest by default.
const DefaultMaxJSONDepth = 64

// limitDepth reads the (size-limited) body, refuses it when its JSON nests
// deeper than max, and puts it back for the handler. A body that is not
// valid JSON is left to the handler, which names what is wrong.
func limitDepth(r *http.Request, max int) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: request body is larger than %d bytes", ordo.ErrPayloadTooLarge, mbe.Limit)
		}
		return badRequest(CodeInvalidJSON, "the request body could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if path, ok := tooDeep(body, max); ok {
		return &apiError{status: http.StatusBadRequest, code: CodeJSONTooDeep,
			msg:     fmt.Sprintf("the JSON body nests deeper than %d levels at %s", max, path),
			details: map[string]any{"path": path, "maxDepth": max}}
	}
	return nil
}

// CheckDepth reports an error when data, a JSON document, nests objects
// and arrays deeper than max; the error names the JSON pointer where the
// limit was passed. Invalid JSON is not an error here.
func CheckDepth(data []byte, max int) error {
	if path, ok := tooDeep(data, max); ok {
		return fmt.Errorf("%w: JSON nests deeper than %d levels at %s", ordo.ErrInvalidArgument, max, path)
	}
	return nil
}

// tooDeep scans data's tokens and returns the JSON pointer of the first
// value nested deeper than max.
func tooDeep(data []byte, max int) (string, bool) {
	if bytes.Count(data, []byte("{"))+bytes.Count(data, []byte("[")) <= max {
		return "", false // cannot be deeper than its brackets
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		key    string
		index  int
		// wantKey: inside an object, the next string token is a key.
		wantKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		// A value (not a key) advances the enclosing array's index.
		isKey := false
		if n := len(stack); n > 0 && stack[n-1].object {
			if _, ok := tok.(string); ok && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey, isKey = tok.(string), false, true
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= max {
				return pointer(stack, func(f frame) string {
					if f.object {
						return f.key
					}
					return strconv.Itoa(f.index)
				}), true
			}
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if isKey {
			continue
		}
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
}

// pointer renders a stack of frames as a JSON pointer, long keys cut.
func pointer[F any](stack []F, seg func(F) string) string {
	if len(stack) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, f := range stack {
		s := seg(f)
		if len(s) > 32 {
			s = s[:32] + "..."
		}
		s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}
