package sqlite

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

// sqlScaleOrders inserts the orders 1..?1 of storetest's scale data set
// (ScaleOrder) and their attributes; ?2 is storetest.ScaleBase in unix
// microseconds.
const sqlScaleOrders = `
WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < ?1)
INSERT INTO instances (id, workflow, status, params, custom_status, created_at, updated_at, finished_at, claims)
SELECT printf('ord-%07d', k),
	CASE WHEN k % 10 = 0 THEN 'flow/gift' ELSE 'flow/standard' END,
	CASE WHEN k % 20 = 0 THEN 'errored' WHEN k % 10 = 1 THEN 'waiting' WHEN k % 50 = 3 THEN 'queued' ELSE 'complete' END,
	printf('{"flow":"standard","version":%d,"customer":{"name":"Customer %d","email":"c%d@example.com"},"items":[{"sku":"SKU-%d","quantity":1},{"sku":"SKU-%d","quantity":2}],"metadata":{"channel":"%s"}}',
		1 + k % 3, k % 50000, k % 50000, k % 500, k * 7 % 500, CASE k % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'pos' ELSE 'api' END),
	CASE WHEN k % 20 = 0 THEN 'Failed' WHEN k % 10 = 1 THEN 'In production' WHEN k % 50 = 3 THEN '' ELSE 'Shipped' END,
	?2 + k * 1000000, ?2 + k * 1000000,
	CASE WHEN k % 20 = 0 OR (k % 10 <> 1 AND k % 50 <> 3) THEN ?2 + k * 1000000 + 3600000000 END, 1
FROM g;
WITH RECURSIVE g(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM g WHERE k < ?1),
a(k, key, value) AS (
	SELECT k, 'email', 'c' || (k % 50000) || '@example.com' FROM g
	UNION ALL SELECT k, 'name', 'customer ' || (k % 50000) FROM g
	UNION ALL SELECT k, 'sku', 'SKU-' || (k % 500) FROM g
	UNION ALL SELECT k, 'sku', 'SKU-' || (k * 7 % 500) FROM g WHERE k * 7 % 500 <> k % 500
	UNION ALL SELECT k, 'meta', 'channel=' || CASE k % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'pos' ELSE 'api' END FROM g
	UNION ALL SELECT k, 'version', CAST(1 + k % 3 AS TEXT) FROM g)
INSERT INTO instance_attributes (instance_id, key, value, created_at)
SELECT printf('ord-%07d', k), key, value, ?2 + k * 1000000 FROM a ORDER BY k, key, value;`

// TestSearchScale runs storetest's scale searches on 100,000 generated
// orders (ORDO_SEARCH_ROWS sets another count: 1000000 for the figures of
// the README), checking each one's plan and first page against the model,
// and logs the latencies.
func TestSearchScale(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,000 orders")
	}
	t.Parallel()
	n := 100_000
	if v := os.Getenv("ORDO_SEARCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("ORDO_SEARCH_ROWS=%q: %v", v, err)
		}
	}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "scale.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	generateScale(t, s, n)
	t.Logf("sqlite: generated %d orders in %v", n, time.Since(start).Round(time.Millisecond))
	explain := func(p *store.InstanceListParams) string {
		q, args, err := listQuery(p, store.DefaultListLimit)
		if err != nil {
			t.Fatal(err)
		}
		plan := explainSQLite(t, s, q, args)
		for _, step := range strings.Split(plan, "; ") {
			// A scan of the creation-time index in order is the listing
			// itself (it stops at the page's end); any other scan reads
			// the whole table.
			if strings.HasPrefix(step, "SCAN ") && step != "SCAN instances USING INDEX instances_created" {
				t.Errorf("a full scan in the plan of %+v:\n%s", *p, plan)
			}
		}
		if testing.Verbose() {
			t.Logf("plan of %+v: %s", *p, plan)
		}
		return plan
	}
	for _, r := range storetest.RunSearchScale(t, s, n, 5, n <= 200_000, "sqlite_autoindex_instances_1", explain) {
		t.Logf("sqlite %d orders: %-32s %8d matches  first page %v", n, r.Case, r.Matches, r.First.Round(time.Microsecond))
	}
}

// generateScale inserts n orders of the scale data set with their
// indexes dropped, then builds the indexes again: sorting once is much
// faster than a million index insertions.
func generateScale(t testing.TB, s *Store, n int) {
	ctx := t.Context()
	rows, err := s.write.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name IN ('instances', 'instance_attributes') AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var names, ddl []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		names, ddl = append(names, name), append(ddl, sql)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	// The write pool has one connection: these apply to the generation.
	for _, q := range []string{"PRAGMA cache_size = -262144", "PRAGMA foreign_keys = OFF"} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if _, err := s.write.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
			t.Error(err)
		}
	}()
	for _, name := range names {
		if _, err := s.write.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if _, err := s.write.ExecContext(ctx, sqlScaleOrders, n, storetest.ScaleBase.UnixMicro()); err != nil {
		t.Fatalf("generate: %v", err)
	}
	t.Logf("rows %v", time.Since(start))
	for _, sql := range ddl {
		if _, err := s.write.ExecContext(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("indexes %v", time.Since(start))
}

// explainSQLite returns the EXPLAIN QUERY PLAN of q, one line per step.
func explainSQLite(t testing.TB, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
