package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/steps/email"
)

// FuzzParse feeds arbitrary documents to Parse. It must never panic or fail
// internally; what it rejects must carry well-formed problems that point
// into the document; and what it accepts must satisfy every invariant the
// runner relies on, checked here independently of the validator, and must
// survive a round trip through its canonical form.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"description": "d", "steps": ` + string(seed) + `}`))
	f.Add([]byte(`[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s", "timeout": "1.5 hours",
		"options": {"recipients": ["{{.Order.Customer.Email}}"], "subject": "{{.Order.ID}}", "message": "m", "attachProductionFiles": true},
		"retries": {"limit": 2, "delay": 1e3, "backoff": "exponential"}, "onError": "b"},
		{"stepDefinitionId": "b", "type": "consume-rest-api", "successStatus": "t", "options": {"uri": "http://x.example/a"}, "timeout": 0.5}]`))
	for _, tc := range invalidFlows {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(data)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse failed without a *ValidationError: %v", err)
			}
			if res == nil || res.Definition != nil || !cmp.Equal(res.Problems, verr.Problems) {
				t.Fatalf("result %+v does not match the error", res)
			}
			checkProblems(t, data, verr)
			return
		}
		if len(res.Problems) != 0 {
			t.Fatalf("valid flow with problems %v", res.Problems)
		}
		for _, w := range res.Warnings {
			if w.Code != CodeUnreachable {
				t.Fatalf("warning with code %q", w.Code)
			}
		}
		checkDefinition(t, res.Definition)

		canonical, err := Canonical(res.Definition)
		if err != nil {
			t.Fatalf("Canonical: %v", err)
		}
		again, err := Parse(canonical)
		if err != nil {
			t.Fatalf("the canonical form of an accepted flow is rejected: %v\n%s", err, canonical)
		}
		if diff := cmp.Diff(res.Definition, again.Definition); diff != "" {
			t.Fatalf("canonical round trip changed the definition (-first +again):\n%s", diff)
		}
		if c2, _ := Canonical(again.Definition); !bytes.Equal(canonical, c2) {
			t.Fatalf("canonical form not stable:\n%s\n%s", canonical, c2)
		}
	})
}

// checkDefinition re-validates an accepted flow without the validator's code.
func checkDefinition(t *testing.T, d *Definition) {
	t.Helper()
	if d == nil || len(d.Steps) == 0 {
		t.Fatal("accepted a flow without steps")
	}
	index := map[string]int{}
	for i, s := range d.Steps {
		if s.ID == "" {
			t.Fatalf("step %d has no id", i)
		}
		if _, dup := index[s.ID]; dup {
			t.Fatalf("id %q is used twice", s.ID)
		}
		index[s.ID] = i
	}
	// Kahn's algorithm: a graph is acyclic iff every node gets removed.
	indeg := make([]int, len(d.Steps))
	for _, s := range d.Steps {
		for _, to := range []string{s.OnSuccess, s.OnError} {
			if to == "" {
				continue
			}
			j, ok := index[to]
			if !ok {
				t.Fatalf("step %q links to unknown step %q", s.ID, to)
			}
			indeg[j]++
		}
	}
	var queue []int
	for i, n := range indeg {
		if n == 0 {
			queue = append(queue, i)
		}
	}
	removed := 0
	for len(queue) > 0 {
		s := d.Steps[queue[0]]
		queue = queue[1:]
		removed++
		for _, to := range []string{s.OnSuccess, s.OnError} {
			if j, ok := index[to]; ok {
				if indeg[j]--; indeg[j] == 0 {
					queue = append(queue, j)
				}
			}
		}
	}
	if removed != len(d.Steps) {
		t.Fatal("accepted a flow with a cycle")
	}
	for _, s := range d.Steps {
		if !s.Type.Known() {
			t.Fatalf("step %q has unknown type %q", s.ID, s.Type)
		}
		if s.SuccessStatus == "" {
			t.Fatalf("step %q has no successStatus", s.ID)
		}
		if s.Timeout < 0 {
			t.Fatalf("step %q has timeout %v", s.ID, s.Timeout)
		}
		if r := s.Retries; r != nil {
			if r.isZero() || r.Delay < 0 || (r.Limit != nil && (*r.Limit < 0 || *r.Limit > 1000)) {
				t.Fatalf("step %q has retries %+v", s.ID, r)
			}
			switch r.Backoff {
			case "", BackoffConstant, BackoffLinear, BackoffExponential:
			default:
				t.Fatalf("step %q has backoff %q", s.ID, r.Backoff)
			}
		}
		checkOptions(t, s)
	}
}

func checkOptions(t *testing.T, s *StepDefinition) {
	t.Helper()
	switch s.Type {
	case TypeConsumeRestAPI:
		o, err := s.RestOptions()
		if err != nil {
			t.Fatalf("step %q: %v", s.ID, err)
		}
		if !strings.HasPrefix(strings.ToLower(o.URI), "http://") && !strings.HasPrefix(strings.ToLower(o.URI), "https://") {
			t.Fatalf("step %q: uri %q", s.ID, o.URI)
		}
	case TypeSendEmail:
		o, err := s.EmailOptions()
		if err != nil {
			t.Fatalf("step %q: %v", s.ID, err)
		}
		if len(o.Recipients) == 0 || o.Subject == "" || o.Message == "" {
			t.Fatalf("step %q: options %+v", s.ID, o)
		}
		for _, r := range o.Recipients {
			_, mailErr := mail.ParseAddress(r)
			_, tmplErr := email.Parse("r", r, nil)
			if mailErr != nil && (tmplErr != nil || !strings.Contains(r, "{{")) {
				t.Fatalf("step %q: recipient %q", s.ID, r)
			}
		}
		for _, text := range []string{o.Subject, o.Message} {
			if _, err := email.Parse("t", text, nil); err != nil {
				t.Fatalf("step %q: template %q: %v", s.ID, text, err)
			}
		}
	case TypeGenerateProductionFiles:
		o, err := s.FilesOptions()
		if err != nil {
			t.Fatalf("step %q: %v", s.ID, err)
		}
		if o.FileFormat != "stl" && o.FileFormat != "obj" {
			t.Fatalf("step %q: fileFormat %q", s.ID, o.FileFormat)
		}
	}
}

var knownCodes = map[string]bool{
	CodeInvalidJSON: true, CodeEmptyFlow: true, CodeMissingField: true, CodeDuplicateID: true,
	CodeDuplicateField: true, CodeUnknownType: true, CodeInvalidOption: true, CodeUnknownStep: true,
	CodeCycle: true, CodeInvalidTimeout: true, CodeInvalidRetries: true, CodeUnknownField: true,
	CodeInvalidType: true, CodeInvalidValue: true,
}

// checkProblems checks that each problem has a known code and a message,
// that its path points into the document (for a missing field: into an
// object that lacks it, or at an empty string), that its step id is the id
// of the step the path is in, and that Error prints one line per problem.
func checkProblems(t *testing.T, data []byte, verr *ValidationError) {
	t.Helper()
	ps := verr.Problems
	if len(ps) == 0 {
		t.Fatal("ValidationError without problems")
	}
	if n := strings.Count(verr.Error(), "\n") + 1; n != len(ps) {
		t.Fatalf("Error() has %d lines for %d problems:\n%s", n, len(ps), verr.Error())
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if !json.Valid(data) || dec.Decode(&root) != nil {
		for _, p := range ps {
			if p.Code != CodeInvalidJSON || p.Path != "" {
				t.Fatalf("encoding/json rejects the document but the problem is %+v", p)
			}
		}
		return
	}
	for _, p := range ps {
		// invalid_value is only for numbers out of range and the bounds of
		// bounds.go: any other means a schema keyword without a translation.
		if !knownCodes[p.Code] || p.Message == "" || p.Code == CodeInvalidJSON ||
			(p.Code == CodeInvalidValue && !strings.Contains(p.Message, "is out of range") &&
				!strings.Contains(p.Message, "are allowed") && !strings.Contains(p.Message, "control character")) {
			t.Fatalf("unexpected problem %+v", p)
		}
		tokens, ok := splitPointer(p.Path)
		if !ok {
			t.Fatalf("bad path in %+v", p)
		}
		v, found := resolve(root, tokens)
		if p.Code == CodeMissingField {
			parent, pfound := resolve(root, tokens[:len(tokens)-1])
			_, isObj := parent.(map[string]any)
			if !(pfound && isObj && !found) && v != "" {
				t.Fatalf("missing field that is there: %+v", p)
			}
		} else if !found {
			t.Fatalf("path of %+v is not in the document", p)
		}
		// The step the path is in, and its id.
		steps, base := root, 0
		if m, ok := root.(map[string]any); ok {
			steps, base = m["steps"], 1
		}
		wantStep := ""
		if arr, ok := steps.([]any); ok && len(tokens) > base && (base == 0 || tokens[0] == "steps") {
			if i, err := strconv.Atoi(tokens[base]); err == nil && i < len(arr) {
				if m, ok := arr[i].(map[string]any); ok {
					wantStep, _ = m["stepDefinitionId"].(string)
				}
			}
		}
		if p.Step != wantStep {
			t.Fatalf("problem %+v names step %q, want %q", p, p.Step, wantStep)
		}
	}
}

func splitPointer(p string) ([]string, bool) {
	if p == "" {
		return nil, true
	}
	if p[0] != '/' {
		return nil, false
	}
	tokens := strings.Split(p[1:], "/")
	for i, tok := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return tokens, true
}

func resolve(v any, tokens []string) (any, bool) {
	for _, tok := range tokens {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}
