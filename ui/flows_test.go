package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestFlowsPage: the flows list, a flow's versions with their sources and
// order counts, and the diff of two versions with added and removed lines
// marked.
func TestFlowsPage(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-1")
	f.order("C-2")
	changed := strings.Replace(shopFlow(f.erp.URL), `"successStatus": "Shipped"`, `"successStatus": "Sent to ERP"`, 1)
	if _, _, _, err := f.svc.ApplyFlow(context.Background(), "shop", []byte(changed)); err != nil {
		t.Fatal(err)
	}
	f.order("C-3")

	list := f.get("/ui/flows")
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="/ui/flows/shop"`) || !strings.Contains(list.body, "v2") {
		t.Fatalf("flows list: %d\n%s", list.status, list.body)
	}
	page := f.get("/ui/flows/shop")
	if page.status != http.StatusOK {
		t.Fatalf("flow page: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{
		`id="version-2"`, `id="version-1"`, ">api<", // sources
		`<option value="1" selected>v1</option>`, // compared by default: v1 → v2
		`<span class="diff-count added">+1</span>`, `<span class="diff-count removed">−1</span>`,
		`<tr class="diff-removed">`, `<tr class="diff-added">`, `&#34;successStatus&#34;: &#34;Sent to ERP&#34;`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("flow page lacks %q", want)
		}
	}
	// Orders per version: two on v1, one on v2.
	for version, n := range map[string]string{"2": "1", "1": "2"} {
		_, row, _ := strings.Cut(page.body, `id="version-`+version+`"`)
		row, _, _ = strings.Cut(row, "</tr>")
		if !strings.Contains(row, `<td class="num">`+n+`</td>`) {
			t.Errorf("version %s row does not count %s orders: %s", version, n, row)
		}
	}
	same := f.get("/ui/flows/shop?from=2&to=2")
	if !strings.Contains(same.body, `id="diff-same"`) {
		t.Errorf("diff of a version with itself:\n%s", same.body)
	}
	if bad := f.get("/ui/flows/shop?from=0&to=9"); bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "Choose two versions between 1 and 2") {
		t.Errorf("bad versions: %d", bad.status)
	}
	if missing := f.get("/ui/flows/nope"); missing.status != http.StatusNotFound {
		t.Errorf("unknown flow: %d", missing.status)
	}
}

// TestFlowsPageVersionLink: the link of an order's flow version compares
// that version with the one before it.
func TestFlowsPageVersionLink(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	for _, status := range []string{"Sent to ERP", "Sent"} {
		changed := strings.Replace(shopFlow(f.erp.URL), `"successStatus": "Shipped"`, `"successStatus": "`+status+`"`, 1)
		if _, _, _, err := f.svc.ApplyFlow(context.Background(), "shop", []byte(changed)); err != nil {
			t.Fatal(err)
		}
	}
	page := f.get("/ui/flows/shop?version=2")
	if !strings.Contains(page.body, "v1 → v2") {
		t.Errorf("?version=2 does not compare v1 with v2:\n%s", page.body)
	}
}
