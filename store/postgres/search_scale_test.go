package postgres

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/storetest"
)

// sqlScaleOrders and sqlScaleAttributes insert the orders 1..$1 of
// storetest's scale data set (ScaleOrder) and their attributes; $2 is
// storetest.ScaleBase.
const (
	sqlScaleOrders = `INSERT INTO instances (id, workflow, status, params, custom_status, created_at, updated_at, finished_at, claims)
SELECT 'ord-' || lpad(k::text, 7, '0'),
	CASE WHEN k % 10 = 0 THEN 'flow/gift' ELSE 'flow/standard' END,
	CASE WHEN k % 20 = 0 THEN 'errored' WHEN k % 10 = 1 THEN 'waiting' WHEN k % 50 = 3 THEN 'queued' ELSE 'complete' END,
	convert_to(format('{"flow":"standard","version":%s,"customer":{"name":"Customer %s","email":"c%s@example.com"},"items":[{"sku":"SKU-%s","quantity":1},{"sku":"SKU-%s","quantity":2}],"metadata":{"channel":"%s"}}',
		1 + k % 3, k % 50000, k % 50000, k % 500, k * 7 % 500, (ARRAY['web','pos','api'])[1 + k % 3]), 'UTF8'),
	CASE WHEN k % 20 = 0 THEN 'Failed' WHEN k % 10 = 1 THEN 'In production' WHEN k % 50 = 3 THEN '' ELSE 'Shipped' END,
	$2::timestamptz + k * interval '1 second', $2::timestamptz + k * interval '1 second',
	CASE WHEN k % 20 = 0 OR (k % 10 <> 1 AND k % 50 <> 3) THEN $2::timestamptz + k * interval '1 second' + interval '1 hour' END, 1
FROM generate_series(1, $1::int) k`
	sqlScaleAttributes = `INSERT INTO instance_attributes (instance_id, key, value, created_at)
SELECT 'ord-' || lpad(k::text, 7, '0'), a.key, a.value, $2::timestamptz + k * interval '1 second'
FROM generate_series(1, $1::int) k, LATERAL (VALUES
	('email', 'c' || (k % 50000) || '@example.com'),
	('name', 'customer ' || (k % 50000)),
	('sku', 'SKU-' || (k % 500)),
	('sku', CASE WHEN k * 7 % 500 <> k % 500 THEN 'SKU-' || (k * 7 % 500) END),
	('meta', 'channel=' || (ARRAY['web','pos','api'])[1 + k % 3]),
	('version', (1 + k % 3)::text)) AS a(key, value)
WHERE a.value IS NOT NULL`
)

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
	url, _ := pgtest.Schema(t)
	s, err := Open(t.Context(), url, &Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	generateScale(t, s, n)
	t.Logf("postgres: generated %d orders in %v", n, time.Since(start).Round(time.Millisecond))
	explain := func(p *store.InstanceListParams) string {
		q, args, err := listQuery(p, store.DefaultListLimit)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.pool.Query(t.Context(), "EXPLAIN "+q, args...)
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if strings.Contains(plan, "Seq Scan") {
			t.Errorf("a sequential scan in the plan of %+v:\n%s", *p, plan)
		}
		if testing.Verbose() {
			t.Logf("plan of %+v:\n%s", *p, plan)
		}
		return plan
	}
	for _, r := range storetest.RunSearchScale(t, s, n, 5, n <= 200_000, "instances_pkey", explain) {
		t.Logf("postgres %d orders: %-32s %8d matches  first page %v", n, r.Case, r.Matches, r.First.Round(time.Microsecond))
	}
}

// generateScale inserts n orders of the scale data set with the secondary
// indexes dropped, builds them again and analyses the tables.
func generateScale(t testing.TB, s *Store, n int) {
	ctx := t.Context()
	rows, err := s.pool.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename IN ('instances', 'instance_attributes')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		t.Fatal(err)
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var x index
		err := r.Scan(&x.name, &x.def)
		return x, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range indexes {
		if _, err := s.pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{x.name}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	// One connection, with the foreign-key triggers off (the rows are
	// consistent by construction) and memory to sort the index builds in.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{"SET session_replication_role = replica", "SET maintenance_work_mem = '256MB'",
		"SET synchronous_commit = off"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{sqlScaleOrders, sqlScaleAttributes} {
		if _, err := conn.Exec(ctx, q, n, storetest.ScaleBase); err != nil {
			t.Fatalf("generate: %v", err)
		}
		t.Logf("rows %v", time.Since(start))
	}
	for _, x := range indexes {
		if _, err := conn.Exec(ctx, x.def); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("indexes %v", time.Since(start))
	for _, q := range []string{"RESET session_replication_role", "ANALYZE instances", "ANALYZE instance_attributes"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}
