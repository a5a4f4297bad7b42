package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/ordohq/ordo/api"
)

// TestOpenAPIServed: GET /v1/openapi.json answers the embedded document.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	hs, _ := setup(t)
	resp, err := http.Get(hs.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, api.OpenAPI()) {
		t.Error("GET /v1/openapi.json is not the embedded document")
	}
}

// TestOpenAPIDocumentIsValid: the document is OpenAPI 3.1 by the
// specification's schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi %q, want 3.1.x", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
		}
	}
}

// TestOpenAPIErrorsShareOneSchema: every operation names its id, summary,
// tag and security, documents a default answer, and answers every error
// (4xx, 5xx, default) with the shared Error envelope (a $ref to
// components/responses whose schema is components/schemas/Error); the one
// exceptions are /readyz's 503, the readiness answer itself, and
// /metrics's 503, the Prometheus handler's own plain text.
func TestOpenAPIErrorsShareOneSchema(t *testing.T) {
	t.Parallel()
	type response struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	}
	type operation struct {
		OperationID string                `json:"operationId"`
		Summary     string                `json:"summary"`
		Tags        []string              `json:"tags"`
		Security    []map[string][]string `json:"security"`
		Responses   map[string]response   `json:"responses"`
	}
	var d struct {
		Paths      map[string]map[string]operation `json:"paths"`
		Components struct {
			Responses map[string]response `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &d); err != nil {
		t.Fatal(err)
	}
	for name, r := range d.Components.Responses {
		if s := r.Content["application/json"].Schema.Ref; s != "#/components/schemas/Error" {
			t.Errorf("components/responses/%s: schema %q, want the Error schema", name, s)
		}
	}
	ids := map[string]bool{}
	for path, item := range d.Paths {
		for method, op := range item {
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) != 1 || op.Security == nil {
				t.Errorf("%s: wants an operationId, a summary, one tag and its security", where)
			}
			if ids[op.OperationID] {
				t.Errorf("%s: operationId %q is used twice", where, op.OperationID)
			}
			ids[op.OperationID] = true
			if _, ok := op.Responses["default"]; !ok {
				t.Errorf("%s: no default response", where)
			}
			for status, r := range op.Responses {
				if status != "default" && status < "400" || status == "503" && (where == "GET /readyz" || where == "GET /metrics") {
					continue
				}
				if !strings.HasPrefix(r.Ref, "#/components/responses/") {
					t.Errorf("%s: the %s answer is not one of components/responses (the Error envelope)", where, status)
				}
			}
		}
	}
}
