package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runValidate executes "validate args..." and returns its stdout, stderr
// and error.
func runValidate(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := newFlowsValidateCmd()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flow.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFlowsValidateSeedExample(t *testing.T) {
	t.Parallel()
	out, errOut, err := runValidate(t, "", "../../examples/orderflow/flow.json")
	if err != nil {
		t.Fatalf("err = %v, stderr:\n%s", err, errOut)
	}
	if out != "ok: 4 steps\n" || errOut != "" {
		t.Errorf("stdout = %q, stderr = %q; want %q and nothing", out, errOut, "ok: 4 steps\n")
	}
}

func TestFlowsValidateWarnings(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `{"steps": [
		{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "done", "options": {}},
		{"stepDefinitionId": "orphan", "type": "generate-production-files", "successStatus": "done", "options": {}}
	]}`)
	out, errOut, err := runValidate(t, "", path)
	if err != nil {
		t.Fatalf("err = %v, stderr:\n%s", err, errOut)
	}
	want := "ok: 2 steps\n" +
		path + `: warning: /steps/1 (orphan): step "orphan" is not reachable from the first step "a" [unreachable]` + "\n"
	if out != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
}

func TestFlowsValidateInvalid(t *testing.T) {
	t.Parallel()
	out, errOut, err := runValidate(t, `[
		{"stepDefinitionId": "a", "type": "send-email", "successStatus": "x",
		 "options": {"recipients": [], "subject": "s", "message": "m"}, "onsuccess": "b"},
		{"stepDefinitionId": "b", "type": "consume-rest-api", "successStatus": "x", "options": {"uri": "/relative"}, "onSuccess": "a"},
		{"stepDefinitionId": "c", "type": "consume-rest-api", "successStatus": "x", "options": {"uri": "http://x"}, "onSuccess": "b", "onError": "c"}
	]`, "-")
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("err = %#v, want an *exitError with code 1", err)
	}
	if !strings.Contains(err.Error(), "4 problem(s)") {
		t.Errorf("err = %q, want the problem count", err)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	want := strings.Join([]string{
		`-: /0/onsuccess (a): unknown field "onsuccess" (did you mean "onSuccess"?) [unknown_field]`,
		`-: /0/options/recipients (a): options.recipients must list at least one recipient [invalid_option]`,
		`-: /1/options/uri (b): options.uri "/relative" is not an absolute http or https URL [invalid_option]`,
		`-: /2/onError (c): onError of step "c" closes a cycle: c -> c [cycle]`,
		// b -> a has no cycle: a's link is misspelt, so a ends the flow.
		`-: warning: /1 (b): step "b" is not reachable from the first step "a" [unreachable]`,
		`-: warning: /2 (c): step "c" is not reachable from the first step "a" [unreachable]`,
	}, "\n") + "\n"
	if errOut != want {
		t.Errorf("stderr =\n%s\nwant\n%s", errOut, want)
	}
}

// TestFlowsValidateTemplates: offline validation checks e-mail templates
// as the server does, fields of the order included.
func TestFlowsValidateTemplates(t *testing.T) {
	t.Parallel()
	_, errOut, err := runValidate(t, `{"steps": [{"stepDefinitionId": "mail", "type": "send-email", "successStatus": "x",
		"options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "Order {{.Order.Number}}",
		            "message": "{{range 5000}}{{printf \"%0999999d\" 0}}{{end}}"}}]}`, "-")
	if err == nil {
		t.Fatal("validate accepted the templates")
	}
	want := strings.Join([]string{
		`-: /steps/0/options/message (mail): options.message is not a valid Go template: line 1, column 9: {{range 5000}} loops over a constant; loops go over order data such as .Order.Items [invalid_option]`,
		`-: /steps/0/options/subject (mail): options.subject is not a valid Go template: line 1, column 15: .Order.Number: order.Order has no field or method Number (fields: `,
	}, "\n")
	if !strings.HasPrefix(errOut, want) {
		t.Errorf("stderr =\n%s\nwant it to start with\n%s", errOut, want)
	}
}

func TestFlowsValidateUsage(t *testing.T) {
	t.Parallel()
	if _, _, err := runValidate(t, ""); err == nil {
		t.Error("no FILE: want an error")
	}
	_, _, err := runValidate(t, "", filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}
