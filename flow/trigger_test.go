package flow

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const triggerSteps = `"steps":[{"stepDefinitionId":"a","type":"consume-rest-api","successStatus":"sent","options":{"uri":"https://example.com/x"}}]`

func TestParseTriggers(t *testing.T) {
	res, err := Parse([]byte(`{"description":"big orders","triggers":[{"event":"order.placed","if":"payload.total > 100"},{"event":"cart.created"}],` + triggerSteps + `}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Trigger{{Event: "order.placed", If: "payload.total > 100"}, {Event: "cart.created"}}
	if d := cmp.Diff(want, res.Definition.Triggers); d != "" {
		t.Errorf("triggers (-want +got):\n%s", d)
	}
	b, err := Canonical(res.Definition)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"triggers":[{"event":"order.placed","if":"payload.total > 100"},{"event":"cart.created"}]`) {
		t.Errorf("canonical form %s lacks the triggers", b)
	}
	again, err := Parse(b)
	if err != nil || !cmp.Equal(again.Definition, res.Definition) {
		t.Errorf("canonical form does not parse back: %v", err)
	}
	// The array form and a flow without triggers keep their hash.
	plain, err := Parse([]byte(`[` + triggerSteps[len(`"steps":[`):len(triggerSteps)-1] + `]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Definition.Triggers) != 0 {
		t.Errorf("array form has triggers %v", plain.Definition.Triggers)
	}
	if b, _ := Canonical(plain.Definition); strings.Contains(string(b), "triggers") {
		t.Errorf("canonical form of a flow without triggers mentions them: %s", b)
	}
}

func TestParseTriggersInvalid(t *testing.T) {
	for _, tc := range []struct {
		triggers string
		want     []string // code path
	}{
		{`[{"event":"order.placed","if":"payload.total >"}]`, []string{"invalid_trigger /triggers/0/if"}},
		{`[{"event":"order.placed","if":"total > 1"}]`, []string{"invalid_trigger /triggers/0/if"}},
		{`[{"event":"order.placed","if":"payload.total + 1"}]`, []string{"invalid_trigger /triggers/0/if"}},
		{`[{"event":"order placed"}]`, []string{"invalid_trigger /triggers/0/event"}},
		{`[{"if":"true"}]`, []string{"missing_field /triggers/0/event"}},
		{`[{"event":"x","when":"true"}]`, []string{"unknown_field /triggers/0/when"}},
		{`[{"event":""}]`, []string{"missing_field /triggers/0/event"}},
		{`[{"event":1}]`, []string{"invalid_type /triggers/0/event"}},
		{`{"event":"x"}`, []string{"invalid_type /triggers"}},
	} {
		res, err := Parse([]byte(`{"triggers":` + tc.triggers + `,` + triggerSteps + `}`))
		if err == nil {
			t.Errorf("%s: parsed", tc.triggers)
			continue
		}
		var got []string
		for _, p := range res.Problems {
			got = append(got, p.Code+" "+p.Path)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s problems (-want +got):\n%s\n%v", tc.triggers, d, res.Problems)
		}
	}
}
