package flow

import (
	"bytes"
	"errors"
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

func TestParseTemplate(t *testing.T) {
	t.Parallel()
	tmpl, err := ParseTemplate("subject", "Order {{.Order.ID}}")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]any{"Order": map[string]any{"ID": 7}}); err != nil || b.String() != "Order 7" {
		t.Errorf("Execute = %q, %v", b.String(), err)
	}
	if err := tmpl.Execute(&b, map[string]any{"Order": map[string]any{}}); err == nil {
		t.Error("Execute with a missing map key succeeded, want an error (missingkey=error)")
	}
	if _, err := ParseTemplate("t", "{{nope}}"); err == nil {
		t.Error("ParseTemplate with an undefined function succeeded")
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
