package ordo_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
)

func TestCreateParams(t *testing.T) {
	e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: quietLogger(), MaxPayloadBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, e, ordo.NewWorkflow("ship", noop))
	if _, err := e.ReservePrefix("flow/", ""); err != nil {
		t.Fatal(err)
	}
	cp, err := e.CreateParams("ship", json.RawMessage(`{"id":"A","total":1}`), &ordo.CreateOptions{ID: "s-1"})
	if err != nil || cp.ID != "s-1" || cp.Workflow != "ship" || cp.Now.IsZero() {
		t.Fatalf("CreateParams = %+v, %v", cp, err)
	}
	if cp, err := e.CreateParams("ship", nil, nil); err != nil || cp.ID == "" || string(cp.Params) != "{}" {
		t.Errorf("CreateParams without id and params = %+v, %v", cp, err)
	}
	if cp, err := e.CreateParams("ship", nil, &ordo.CreateOptions{Priority: -100}); err != nil || cp.Priority != -100 {
		t.Errorf("CreateParams with priority -100 = %+v, %v", cp, err)
	}
	for name, tc := range map[string]struct {
		workflow, params string
		opts             *ordo.CreateOptions
		want             error
	}{
		"unregistered":  {"nope", `{}`, nil, ordo.ErrNotFound},
		"reserved":      {"flow/x", `{}`, nil, ordo.ErrInvalidArgument},
		"not json":      {"ship", `{`, nil, ordo.ErrInvalidArgument},
		"wrong type":    {"ship", `{"total":"x"}`, nil, ordo.ErrInvalidArgument},
		"too large":     {"ship", `{"id":"` + strings.Repeat("x", 100) + `"}`, nil, ordo.ErrPayloadTooLarge},
		"bad id":        {"ship", `{}`, &ordo.CreateOptions{ID: "-x"}, ordo.ErrInvalidArgument},
		"priority 101":  {"ship", `{}`, &ordo.CreateOptions{Priority: 101}, ordo.ErrInvalidArgument},
		"priority -101": {"ship", `{}`, &ordo.CreateOptions{Priority: -101}, ordo.ErrInvalidArgument},
	} {
		if _, err := e.CreateParams(tc.workflow, json.RawMessage(tc.params), tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}
