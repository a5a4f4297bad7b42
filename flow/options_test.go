package flow

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionsAccessors(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `[
		{"stepDefinitionId": "files", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "obj"},
		{"stepDefinitionId": "obj", "type": "generate-production-files", "successStatus": "s", "options": {"fileFormat": "obj"}, "onSuccess": "post"},
		{"stepDefinitionId": "post", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": "https://example.com/o"}, "onSuccess": "mail"},
		{"stepDefinitionId": "mail", "type": "send-email", "successStatus": "s",
		 "options": {"recipients": ["a@example.com", "{{.Order.Customer.Email}}"], "subject": "S", "message": "M", "attachProductionFiles": true}}
	]`)
	files, err := d.Step("files").FilesOptions()
	if err != nil || files.FileFormat != "stl" {
		t.Errorf("FilesOptions(no fileFormat) = %+v, %v; want the stl default", files, err)
	}
	obj, err := d.Step("obj").FilesOptions()
	if err != nil || obj.FileFormat != "obj" {
		t.Errorf("FilesOptions(obj) = %+v, %v", obj, err)
	}
	rest, err := d.Step("post").RestOptions()
	if err != nil || rest.URI != "https://example.com/o" {
		t.Errorf("RestOptions = %+v, %v", rest, err)
	}
	email, err := d.Step("mail").EmailOptions()
	want := &EmailOptions{Recipients: []string{"a@example.com", "{{.Order.Customer.Email}}"}, Subject: "S", Message: "M", AttachProductionFiles: true}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, email); diff != "" {
		t.Errorf("EmailOptions (-want +got):\n%s", diff)
	}
	if _, err := d.Step("mail").RestOptions(); !errors.Is(err, ErrWrongStepType) {
		t.Errorf("RestOptions on a send-email step: err = %v, want ErrWrongStepType", err)
	}
	if _, err := d.Step("post").EmailOptions(); !errors.Is(err, ErrWrongStepType) {
		t.Errorf("EmailOptions on a consume-rest-api step: err = %v, want ErrWrongStepType", err)
	}
	if _, err := d.Step("post").FilesOptions(); !errors.Is(err, ErrWrongStepType) {
		t.Errorf("FilesOptions on a consume-rest-api step: err = %v, want ErrWrongStepType", err)
	}
	handMade := &StepDefinition{ID: "x", Type: TypeConsumeRestAPI, Options: []byte(`{"url": "https://example.com"}`)}
	if _, err := handMade.RestOptions(); err == nil || errors.Is(err, ErrWrongStepType) {
		t.Errorf("RestOptions with an unknown field: err = %v, want a decode error", err)
	}
}

// TestParseWithTemplateData: Parse checks the rules of e-mail templates;
// ParseWith with a data type also checks the fields they name, at the
// template's path.
func TestParseWithTemplateData(t *testing.T) {
	t.Parallel()
	type customer struct{ Name, Email string }
	type order struct {
		ID       string
		Customer customer
	}
	type data struct{ Order *order }
	doc := []byte(`{"steps": [{"stepDefinitionId": "mail", "type": "send-email", "successStatus": "s",
		"options": {"recipients": ["{{.Order.Customer.Mail}}"], "subject": "Order {{.Order.ID}}", "message": "Hi {{.Order.Customer.Nmae}}"}}]}`) //nolint:misspell // the typo is what the test checks
	if _, err := Parse(doc); err != nil {
		t.Fatalf("Parse without a data type: %v", err)
	}
	_, err := ParseWith(doc, &ParseOptions{TemplateData: reflect.TypeFor[data]()})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("ParseWith = %v, want a *ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Path+" "+p.Step+" "+p.Code)
		if !strings.Contains(p.Message, "has no field or method") {
			t.Errorf("problem %s: message %q does not say which field is missing", p.Path, p.Message)
		}
	}
	want := []string{"/steps/0/options/message mail invalid_option", "/steps/0/options/recipients/0 mail invalid_option"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	crash := []byte(`[{"stepDefinitionId": "mail", "type": "send-email", "successStatus": "s",
		"options": {"recipients": ["a@example.com"], "subject": "s", "message": "{{range 5000}}{{printf \"%0999999d\" 0}}{{end}}"}}]`)
	_, err = Parse(crash)
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "/0/options/message" ||
		!strings.Contains(ve.Problems[0].Message, "loops over a constant") {
		t.Errorf("Parse of the crash template = %v, want one problem at /0/options/message", err)
	}
}

func TestStepTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range Types() {
		if !typ.Known() {
			t.Errorf("%s.Known() = false", typ)
		}
		if _, ok := optionNames[typ]; !ok {
			t.Errorf("no option names for %s", typ)
		}
	}
	if StepType("send-sms").Known() {
		t.Error(`"send-sms" is known`)
	}
}
