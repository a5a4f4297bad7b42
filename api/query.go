package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

// Error code of query parameters; the error's details are
// {"parameter": name}.
const (
	// CodeUnknownParameter (400): a query parameter the route does not
	// take (a misspelt filter would otherwise be ignored silently).
	CodeUnknownParameter = "unknown_parameter"
	// A query parameter whose value is refused is a 400 invalid_argument
	// (CodeInvalidArgument) with the same details; the message says why.
)

// ParameterDetails are the details of a query parameter's error.
type ParameterDetails struct {
	Parameter string `json:"parameter"`
}

// ParameterError returns a 400 invalid_argument error naming the query
// parameter name in its message and details.
func ParameterError(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, name+" ") {
		msg = name + ": " + msg
	}
	return &apiError{status: http.StatusBadRequest, code: CodeInvalidArgument, msg: msg, details: ParameterDetails{Parameter: name}}
}

// Query is a request's query string, read parameter by parameter with
// each problem reported as a 400 naming the parameter.
type Query struct {
	v   url.Values
	err error
}

// ReadQuery returns r's query after checking that it holds only the
// parameters in known (besides pretty, which every route takes): another
// one is a 400 unknown_parameter naming it.
func ReadQuery(r *http.Request, known ...string) (*Query, error) {
	v := r.URL.Query()
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name != "pretty" && !slices.Contains(known, name) {
			return nil, &apiError{status: http.StatusBadRequest, code: CodeUnknownParameter,
				msg:     fmt.Sprintf("unknown query parameter %.64q; this route takes %s", name, strings.Join(known, ", ")),
				details: ParameterDetails{Parameter: name}}
		}
	}
	return &Query{v: v}, nil
}

// Err returns the first problem a read found.
func (q *Query) Err() error { return q.err }

// fail records the first problem.
func (q *Query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

// String returns the value of a parameter given at most once ("" when
// absent).
func (q *Query) String(name string) string {
	vs := q.v[name]
	if len(vs) > 1 {
		q.fail(ParameterError(name, "given %d times; give it once", len(vs)))
	}
	if len(vs) == 0 {
		return ""
	}
	if err := store.CheckFilter(name, vs[0]); err != nil {
		q.fail(ParameterError(name, "must be at most %d bytes of UTF-8 text without NUL", store.MaxFilterBytes))
	}
	return vs[0]
}

// Strings returns every value of a repeatable parameter.
func (q *Query) Strings(name string) []string {
	vs := q.v[name]
	for _, v := range vs {
		if err := store.CheckFilter(name, v); err != nil {
			q.fail(ParameterError(name, "must be at most %d bytes of UTF-8 text without NUL", store.MaxFilterBytes))
		}
	}
	return vs
}

// Time returns an RFC 3339 time parameter (zero when absent).
func (q *Query) Time(name string) time.Time {
	s := q.String(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.fail(ParameterError(name, "%.64q is not an RFC 3339 time such as 2026-12-01T09:30:00Z", s))
	}
	return t
}

// Status returns an instance status parameter, ignoring case ("" when
// absent).
func (q *Query) Status(name string) store.InstanceStatus {
	s := store.InstanceStatus(strings.ToLower(q.String(name)))
	if s != "" && !s.Valid() {
		q.fail(ParameterError(name, "unknown instance status %.64q (%s)", string(s), store.StatusNames()))
	}
	return s
}

// KeyValues returns a repeatable key:value parameter's pairs split at the
// first colon.
func (q *Query) KeyValues(name string) []store.Attribute {
	var out []store.Attribute
	for _, v := range q.Strings(name) {
		k, val, ok := strings.Cut(v, ":")
		if !ok || k == "" {
			q.fail(ParameterError(name, "%.64q is not key:value", v))
			continue
		}
		out = append(out, store.Attribute{Key: k, Value: val})
	}
	return out
}

// Limit returns the limit parameter (1..1000; 0 when absent).
func (q *Query) Limit() int {
	if q.String("limit") == "" {
		return 0
	}
	n, err := parseLimit(q.v.Get("limit"))
	if err != nil {
		q.fail(ParameterError("limit", "%s", err.Error()))
	}
	return n
}

// FieldError turns a store error that names a field (a *store.Error with
// Field set) into a 400 naming the query parameter params maps the field
// to (the field's own name when params has none); other errors are
// returned as they are.
func FieldError(err error, params map[string]string) error {
	var se *store.Error
	if !errors.As(err, &se) || se.Field == "" {
		return err
	}
	name := se.Field
	if p, ok := params[name]; ok {
		name = p
	}
	msg, _ := strings.CutPrefix(se.Message, se.Field+": ")
	return ParameterError(name, "%s", msg)
}
