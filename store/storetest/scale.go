package storetest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// Scale data set: n generated orders, as RunSearchScale's generate must
// insert them (with bulk SQL, for speed). Order k (1..n) is:
//
//	id          fmt.Sprintf("ord-%07d", k)
//	workflow    "flow/gift" when k%10 == 0, else "flow/standard"
//	status      errored ("Failed") when k%20 == 0; waiting ("In production")
//	            when k%10 == 1; queued ("" : Created) when k%50 == 3;
//	            else complete ("Shipped")
//	created at  ScaleBase + k seconds; finished at created + 1 h when
//	            complete or errored
//	attributes  email c<k%50000>@example.com, name "customer <k%50000>",
//	            sku SKU-<k%500> and SKU-<k*7%500>, meta channel=web|pos|api
//	            (k%3), version 1+k%3
//
// ScaleOrder describes order k in Go: the model the results are checked
// against.
var ScaleBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ScaleOrder returns order k of the scale data set and its attributes.
func ScaleOrder(k int) (*store.Instance, []store.Attribute) {
	in := &store.Instance{ID: fmt.Sprintf("ord-%07d", k), Workflow: "flow/standard", CreatedAt: ScaleBase.Add(time.Duration(k) * time.Second)}
	if k%10 == 0 {
		in.Workflow = "flow/gift"
	}
	switch {
	case k%20 == 0:
		in.Status, in.CustomStatus = store.StatusErrored, "Failed"
	case k%10 == 1:
		in.Status, in.CustomStatus = store.StatusWaiting, "In production"
	case k%50 == 3:
		in.Status = store.StatusQueued
	default:
		in.Status, in.CustomStatus = store.StatusComplete, "Shipped"
	}
	if in.Status.Terminal() {
		fin := in.CreatedAt.Add(time.Hour)
		in.FinishedAt = &fin
	}
	a := attrs("email", fmt.Sprintf("c%d@example.com", k%50000), "name", fmt.Sprintf("customer %d", k%50000),
		"sku", fmt.Sprintf("SKU-%d", k%500), "sku", fmt.Sprintf("SKU-%d", k*7%500),
		"meta", "channel="+[]string{"web", "pos", "api"}[k%3], "version", fmt.Sprint(1+k%3))
	a, _ = store.NormalizeAttributes(a)
	return in, a
}

// ScaleCase is one search of RunSearchScale: its filter and the index the
// backend's plan must use (by its name in both backends' schemas; "pk" is
// the instances primary key).
type ScaleCase struct {
	Name   string
	Params store.InstanceListParams
	Index  string
}

// ScaleCases returns the searches RunSearchScale runs on n orders.
func ScaleCases(n int) []ScaleCase {
	mid := ScaleBase.Add(time.Duration(n/2) * time.Second)
	orders := func(p store.InstanceListParams) store.InstanceListParams {
		p.WorkflowPrefix = "flow/"
		return p
	}
	return []ScaleCase{
		{"list", store.InstanceListParams{}, "instances_created"},
		{"list at a cursor", store.InstanceListParams{Cursor: store.EncodeInstanceCursor(mid, "ord-9999999")}, "instances_created"},
		{"orders", orders(store.InstanceListParams{}), "instances_"},
		{"flow", store.InstanceListParams{Workflow: "flow/gift"}, "instances_workflow"},
		{"status failed", orders(store.InstanceListParams{CustomStatus: "failed"}), "instances_custom_fold"},
		{"status created", orders(store.InstanceListParams{NoCustomStatus: true}), "instances_custom_fold"},
		{"instance status errored", store.InstanceListParams{Status: store.StatusErrored}, "instances_status"},
		{"instance status and custom", store.InstanceListParams{Status: store.StatusWaiting, CustomStatus: "IN PRODUCTION"}, "instances_"},
		{"email", orders(store.InstanceListParams{Attributes: attrs("email", "c123@example.com")}), "instance_attributes_match"},
		{"name", orders(store.InstanceListParams{Attributes: attrs("name", "customer 4567")}), "instance_attributes_match"},
		{"sku", orders(store.InstanceListParams{Attributes: attrs("sku", "SKU-42")}), "instance_attributes_match"},
		{"meta", orders(store.InstanceListParams{Attributes: attrs("meta", "channel=web")}), "instance_attributes_match"},
		{"flow and version", store.InstanceListParams{Workflow: "flow/standard", Attributes: attrs("version", "2")}, "instance_attributes_match"},
		{"sku and status failed", orders(store.InstanceListParams{Attributes: attrs("sku", "SKU-40"), CustomStatus: "Failed"}), "instance_attributes_match"},
		{"email and sku", orders(store.InstanceListParams{Attributes: attrs("email", "c120@example.com", "sku", "SKU-340")}), "instance_attributes_match"},
		{"email and created", orders(store.InstanceListParams{Attributes: attrs("email", "c7@example.com"), CreatedBefore: mid}), "instance_attributes_match"},
		{"created day", orders(store.InstanceListParams{CreatedAfter: mid, CreatedBefore: mid.Add(24 * time.Hour)}), "instances_"},
		{"finished hour", orders(store.InstanceListParams{FinishedAfter: mid, FinishedBefore: mid.Add(time.Hour)}), "instances_"},
		{"id prefix", orders(store.InstanceListParams{IDPrefix: fmt.Sprintf("ord-%05d", n/200)}), "pk"},
		{"status failed and created day", orders(store.InstanceListParams{CustomStatus: "failed", CreatedAfter: mid, CreatedBefore: mid.Add(24 * time.Hour)}), "instances_custom_fold"},
	}
}

// ScaleResult is the latency of one ScaleCase.
type ScaleResult struct {
	Case    string
	Matches int           // orders of the data set that match
	First   time.Duration // median time of the first page (50)
}

// RunSearchScale checks every ScaleCase on a store holding the n orders
// of the scale data set (see ScaleOrder), which generate has inserted:
// the plan that explain returns for its listing names the case's index
// (explain fails the test itself on a full scan), and the first page is
// exactly the model's newest 50 matches (every page, when at most 500
// match), unless check is false (the model is slow at a million). It
// returns each case's median first-page time over runs runs.
func RunSearchScale(t testing.TB, s store.Store, n, runs int, check bool, pk string, explain func(p *store.InstanceListParams) string) []ScaleResult {
	t.Helper()
	ctx := t.Context()
	var out []ScaleResult
	for _, tc := range ScaleCases(n) {
		p := tc.Params
		index := tc.Index
		if index == "pk" {
			index = pk
		}
		if plan := explain(&p); !strings.Contains(plan, index) {
			t.Errorf("%s: plan does not use %s:\n%s", tc.Name, index, plan)
		}
		var (
			want    []string
			matches = -1
		)
		if check {
			want, matches = scaleMatches(n, &p, store.DefaultListLimit)
		}
		times := make([]time.Duration, 0, runs)
		var page *store.InstancePage
		for range runs {
			start := time.Now()
			var err error
			if page, err = s.InstanceList(ctx, &p); err != nil {
				t.Fatalf("%s: InstanceList: %v", tc.Name, err)
			}
			times = append(times, time.Since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		out = append(out, ScaleResult{Case: tc.Name, Matches: matches, First: times[len(times)/2]})
		if !check {
			continue
		}
		if diff := cmp.Diff(want, ids(page.Instances), cmpEmpty); diff != "" {
			t.Errorf("%s: first page (-model +store):\n%s", tc.Name, diff)
		}
		if matches <= 500 {
			all := ids(page.Instances)
			q := p
			for page.NextCursor != "" {
				q.Cursor = page.NextCursor
				var err error
				if page, err = s.InstanceList(ctx, &q); err != nil {
					t.Fatalf("%s: InstanceList: %v", tc.Name, err)
				}
				all = append(all, ids(page.Instances)...)
			}
			if wantAll, _ := scaleMatches(n, &p, n); !slices.Equal(wantAll, all) {
				t.Errorf("%s: %d instances over all pages, want %d", tc.Name, len(all), len(wantAll))
			}
		}
	}
	return out
}

// scaleMatches returns the IDs of the newest (up to limit) orders of the
// data set that match p, and how many match in all.
func scaleMatches(n int, p *store.InstanceListParams, limit int) ([]string, int) {
	var (
		out   []string
		count int
	)
	var cAt time.Time
	var cID string
	if p.Cursor != "" {
		cAt, cID, _ = store.DecodeInstanceCursor(p.Cursor)
	}
	for k := n; k >= 1; k-- {
		in, a := ScaleOrder(k)
		if p.Cursor != "" && (in.CreatedAt.After(cAt) || in.CreatedAt.Equal(cAt) && in.ID >= cID) {
			continue
		}
		if !store.MatchesList(p, in, a) {
			continue
		}
		count++
		if len(out) < limit {
			out = append(out, in.ID)
		}
	}
	return out, count
}
