package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ordohq/ordo/order/ordertest"
)

// TestFlowsVersionsAndDiffCLI: ordo flows versions lists each version with
// its source and orders; ordo flows diff shows the changed lines.
func TestFlowsVersionsAndDiffCLI(t *testing.T) {
	t.Parallel()
	mail := ordertest.StartMailServer(t, nil)
	server := startOrderAPI(t, mail)
	dir := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", server)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	v1 := seedFile(t, dir, "v1.json", "https://erp.example.com/v1")
	v2 := seedFile(t, dir, "v2.json", "https://erp.example.com/v2")
	cli("flows", "apply", "seed", v1)
	cli("flows", "apply", "seed", v2)
	orderFile := filepath.Join(dir, "order.json")
	if err := os.WriteFile(orderFile, []byte(`{"id": "o-1", "flow": "seed", "customer": {"name": "Ada", "email": "ada@example.com"},
		"items": [{"sku": "GIFT", "quantity": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cli("orders", "create", orderFile)

	out := cli("flows", "versions", "seed")
	for _, want := range []string{`(?m)^1\s+\S+ \S+\s+api\s+0\s`, `(?m)^2\s+\S+ \S+\s+api\s+1\s`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("flows versions does not match %s:\n%s", want, out)
		}
	}
	out = cli("flows", "diff", "seed", "1", "2")
	for _, want := range []string{"--- flow seed version 1\n+++ flow seed version 2\n@@ -",
		`-        "uri": "https://erp.example.com/v1"`, `+        "uri": "https://erp.example.com/v2"`,
		"1 line(s) added, 1 removed"} {
		if !strings.Contains(out, want) {
			t.Errorf("flows diff lacks %q:\n%s", want, out)
		}
	}
	if out := cli("flows", "diff", "seed", "2", "2"); !strings.Contains(out, "versions 2 and 2 are the same") {
		t.Errorf("diff of a version with itself:\n%s", out)
	}
	if _, _, err := runCLI(t, "flows", "diff", "seed", "1", "7", "--server", server); err == nil || !strings.Contains(err.Error(), "no version 7") {
		t.Errorf("diff with a missing version: %v", err)
	}
}
