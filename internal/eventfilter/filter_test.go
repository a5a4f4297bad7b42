package eventfilter

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	for _, tc := range []struct {
		expr, payload string
		want          bool
		err           string
	}{
		{"payload.total > 100", `{"total":150.5}`, true, ""},
		{"payload.total > 100", `{"total":150}`, true, ""},
		{"payload.total > 100", `{"total":1.5e2}`, true, ""},
		{"payload.total > 100", `{"total":100}`, false, ""},
		{"payload.total == 150", `{"total":150.0}`, true, ""},
		{"payload.total > 100.5", `{"total":101}`, true, ""},
		{"payload.n == 9007199254740993", `{"n":9007199254740993}`, true, ""},
		{"type == 'order.placed' && id.startsWith('ev-')", `{}`, true, ""},
		{"has(payload.total) && payload.total > 1", `{}`, false, ""},
		{"payload.items.exists(i, i.sku == 'A')", `{"items":[{"sku":"B"},{"sku":"A"}]}`, true, ""},
		{"payload.total > 100", `{}`, false, "no such key"},
		{"payload.total > 100", `{"total":"150"}`, false, "no such overload"},
		{"payload.flag", `{"flag":"yes"}`, false, "not a bool"},
	} {
		f, err := Compile(tc.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.expr, err)
		}
		got, err := f.Eval(t.Context(), "order.placed", "ev-1", json.RawMessage(tc.payload))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s on %s: err = %v, want one containing %q", tc.expr, tc.payload, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s on %s = %v, %v; want %v", tc.expr, tc.payload, got, err, tc.want)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	for expr, want := range map[string]string{
		"":                        "empty",
		"payload.total >":         "does not compile",
		"total > 1":               "undeclared reference",
		"'a' + 'b'":               "not a bool",
		strings.Repeat("1", 3000): "at most 2048",
	} {
		if _, err := Compile(expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%.20q) = %v, want an error containing %q", expr, err, want)
		}
	}
}

func TestCostLimit(t *testing.T) {
	f, err := Compile("payload.s.map(a, payload.s.map(b, payload.s.map(c, a + b + c))).size() > 0")
	if err != nil {
		t.Fatal(err)
	}
	items := make([]string, 200)
	for i := range items {
		items[i] = "1"
	}
	b, _ := json.Marshal(map[string]any{"s": items})
	if _, err := f.Eval(t.Context(), "t", "i", b); err == nil || !strings.Contains(err.Error(), "cost") {
		t.Errorf("err = %v, want the cost limit", err)
	}
}

func TestDecodeDepth(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := Decode(json.RawMessage(deep)); err == nil {
		t.Error("a payload 100 levels deep decoded")
	}
}
