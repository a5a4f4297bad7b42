// Package openapitest checks HTTP traffic against the API's OpenAPI
// document (api.OpenAPI). A test wraps the server it starts with Handler
// (or starts it with NewServer), and every request the test sends and every
// response the server gives is validated against the document; a mismatch
// fails the test:
//
//   - a request the document allows must get a response the document
//     describes (its status, headers' presence, JSON body);
//   - a request the document refuses (a bad field, a missing body, an
//     invalid id) must be refused: a 4xx or 5xx in the Error envelope the
//     operation documents;
//   - a request for a path or method the document lacks must be refused
//     with an Error envelope too (a route served but not documented fails).
//
// The dashboard (/, /ui/...) is not part of the API and is not checked.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"

	"github.com/ordohq/ordo/api"
)

// maxChecked is the largest body validated; a larger request or response
// (a test of the size limits, a big production file) is served unchecked
// past this many bytes: its status is still checked.
const maxChecked = 4 << 20

// contract is the parsed document and its validator, shared by every
// test of the process (parsing and compiling the schemas takes a while).
type contract struct {
	v validator.Validator
	// codes are the error codes the Error schema allows.
	codes map[string]bool
	// mu serialises the validator, whose caches are filled as it goes.
	mu sync.Mutex
}

var load = sync.OnceValues(func() (*contract, error) {
	raw := api.OpenAPI()
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("parse api/openapi.json: %w", err)
	}
	// Security is not checked here: the tests run servers with and without
	// keys; the drift test checks each operation's scope instead.
	v, errs := validator.NewValidator(doc, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("api/openapi.json: %v", errs)
	}
	codes, err := errorCodes(raw)
	if err != nil {
		return nil, err
	}
	return &contract{v: v, codes: codes}, nil
})

// errorCodes reads the enum of the Error schema's code.
func errorCodes(raw []byte) (map[string]bool, error) {
	var d struct {
		Components struct {
			Schemas struct {
				ErrorBody struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"ErrorBody"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("api/openapi.json: %w", err)
	}
	out := map[string]bool{}
	for _, c := range d.Components.Schemas.ErrorBody.Properties.Code.Enum {
		out[c] = true
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("api/openapi.json: components.schemas.ErrorBody has no code enum")
	}
	return out, nil
}

// NewServer starts an httptest server serving h through Handler, closed
// when the test ends.
func NewServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(Handler(t, h))
	t.Cleanup(hs.Close)
	return hs
}

// Handler returns h with every exchange checked against the document
// (see the package doc); a mismatch is reported with t.Errorf.
func Handler(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dashboard(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		var tee *teeBody
		served := r
		if r.Body != nil && r.Body != http.NoBody {
			// A shallow copy carries the tee: the server looks at the
			// original's body to decide whether to drain it or close.
			tee = &teeBody{ReadCloser: r.Body}
			served = new(http.Request)
			*served = *r
			served.Body = tee
		}
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, served)
		if rec.status == 0 && r.Context().Err() != nil {
			return // the client went away; nothing was answered
		}
		req, complete := request(r, tee)
		if problem := c.check(req, complete, rec); problem != "" {
			t.Errorf("openapi: %s %s → %d does not match api/openapi.json: %s\nresponse body: %.2000s",
				r.Method, r.URL.RequestURI(), rec.code(), problem, rec.body.Bytes())
		}
	})
}

// dashboard reports whether path belongs to the dashboard, not the API.
func dashboard(path string) bool {
	return path == "/" || path == "/ui" || strings.HasPrefix(path, "/ui/")
}

// teeBody is a request body that keeps what the handler reads of it (up
// to maxChecked bytes): the body is not read ahead of the handler, which
// may answer before a client has sent it all (a declared size too large).
type teeBody struct {
	io.ReadCloser
	buf  bytes.Buffer
	eof  bool
	over bool
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if !b.over {
		if b.buf.Len()+n > maxChecked {
			b.over = true
		} else {
			b.buf.Write(p[:n])
		}
	}
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// request returns a copy of r for the validator, with the body the
// handler read, and whether that body is complete (read to its end, and
// not larger than maxChecked).
func request(r *http.Request, tee *teeBody) (*http.Request, bool) {
	req := r.Clone(context.Background())
	if tee == nil {
		req.Body = http.NoBody
		return req, true
	}
	req.Body = io.NopCloser(bytes.NewReader(tee.buf.Bytes()))
	req.ContentLength = int64(tee.buf.Len())
	return req, tee.eof && !tee.over
}

// check validates one exchange and returns what is wrong, or "".
func (c *contract) check(req *http.Request, bodyChecked bool, rec *recorder) string {
	status := rec.code()
	if req.Method == http.MethodHead {
		// A GET route answers HEAD with its headers: check the request as
		// the GET, the status only.
		req.Method = http.MethodGet
		req.Body = http.NoBody
		rec.body.Reset()
		rec.over = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, reqErrs := c.v.ValidateHttpRequestSync(req)
	if unrouted(reqErrs) {
		if status < 400 {
			return fmt.Sprintf("the server serves a route the document lacks (%s)", describe(reqErrs))
		}
		return c.checkEnvelope(rec)
	}
	if !bodyChecked {
		reqErrs = withoutBody(reqErrs)
	}
	if len(reqErrs) > 0 && status < 400 {
		return fmt.Sprintf("the server accepted a request the document refuses: %s", describe(reqErrs))
	}
	if rec.over {
		return c.checkStatus(req, status)
	}
	resp := &http.Response{StatusCode: status, Header: rec.header(), Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Request: req, ContentLength: int64(rec.body.Len())}
	if _, errs := c.v.ValidateHttpResponse(req, resp); len(errs) > 0 {
		return "the response does not match: " + describe(errs)
	}
	if status >= 400 && req.URL.Path != "/readyz" && req.URL.Path != "/metrics" {
		return c.checkEnvelope(rec)
	}
	return ""
}

// checkStatus checks that status is documented for req's operation when
// the body is too large to validate (or absent, for HEAD).
func (c *contract) checkStatus(req *http.Request, status int) string {
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: req}
	_, errs := c.v.ValidateHttpResponse(req, resp)
	for _, e := range errs {
		if e.ValidationSubType == helpers.ResponseBodyValidation || strings.Contains(e.Message, "status") {
			return "status not documented: " + describe(errs)
		}
	}
	return ""
}

// checkEnvelope checks that an error response is the Error envelope with
// a documented code.
func (c *contract) checkEnvelope(rec *recorder) string {
	if rec.over {
		return ""
	}
	var env struct {
		Error struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return fmt.Sprintf("an error response is not the Error envelope: %v", err)
	}
	if ct := rec.header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Sprintf("an error response has Content-Type %q, want application/json", ct)
	}
	if env.Error.Message == "" {
		return "an error response has no message"
	}
	if !c.codes[env.Error.Code] {
		return fmt.Sprintf("error code %q is not in the Error schema's enum", env.Error.Code)
	}
	return ""
}

// unrouted reports whether the validator found no operation for the
// request's path and method.
func unrouted(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation &&
			(e.ValidationSubType == helpers.ValidationMissing || e.ValidationSubType == helpers.ValidationMissingOperation) {
			return true
		}
	}
	return false
}

// withoutBody drops the request-body errors of a body too large to check.
func withoutBody(errs []*verrors.ValidationError) []*verrors.ValidationError {
	var out []*verrors.ValidationError
	for _, e := range errs {
		if e.ValidationType != helpers.RequestBodyValidation {
			out = append(out, e)
		}
	}
	return out
}

// describe joins validation errors into one line each.
func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n  - ")
		b.WriteString(e.Message)
		if e.Reason != "" {
			b.WriteString(": " + e.Reason)
		}
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s: %s", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}

// recorder passes a response through to the client and keeps its status,
// headers and (the first maxChecked bytes of) its body.
type recorder struct {
	http.ResponseWriter
	status int
	hdr    http.Header
	body   bytes.Buffer
	// over is set when the body passed maxChecked.
	over bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.hdr = r.ResponseWriter.Header().Clone()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if !r.over {
		if r.body.Len()+len(p) > maxChecked {
			r.over = true
		} else {
			r.body.Write(p)
		}
	}
	return r.ResponseWriter.Write(p)
}

// Flush passes a flush on (streamed answers).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func (r *recorder) header() http.Header {
	if r.hdr == nil {
		return r.ResponseWriter.Header().Clone()
	}
	return r.hdr
}
