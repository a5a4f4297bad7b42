package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// DescribeJSONError turns an encoding/json decoding error into a message
// for the caller: which field, what was expected, where the syntax broke;
// without Go type names.
func DescribeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Sprintf("expected %s, got a JSON %s", kindName(te.Type), te.Value)
		}
		return fmt.Sprintf("field %q: expected %s, got a JSON %s", field, kindName(te.Type), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON body ends before its value is complete"
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: "); ok {
		msg = rest
	}
	return msg
}

// kindName names what a Go type accepts in JSON terms.
func kindName(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	if t.String() == "json.Number" {
		return "a number"
	}
	return "another value"
}
