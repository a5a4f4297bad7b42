package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// baselinePayload is about the size of an instance row's params.
const baselinePayload = `{"order":"A-10042","customer":"c_81723","items":[{"sku":"MUG-11OZ","qty":2},{"sku":"TEE-M","qty":1}],"total":4280,"currency":"EUR"}`

// MeasureInsertBaseline returns how many commits per second conns
// connections achieve together, each inserting one row per transaction,
// for about d, into a fresh table (dropped afterwards) in the database and
// schema of connString, with the server's durability settings
// (synchronous_commit as configured; "on" by default). It is the
// one-WAL-flush-per-write baseline that `ordo bench` compares batched
// commits against. It reads the wall clock: it measures real time.
func MeasureInsertBaseline(ctx context.Context, connString string, conns int, d time.Duration) (float64, error) {
	if d <= 0 || conns < 1 {
		return 0, fmt.Errorf("postgres: insert baseline: duration %v and connections %d must be positive", d, conns)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return 0, fmt.Errorf("postgres: insert baseline: %w", err)
	}
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("postgres: insert baseline: %w", err)
	}
	defer pool.Close()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	table := pgx.Identifier{"ordo_baseline_" + hex.EncodeToString(suffix[:])}.Sanitize()
	if _, err := pool.Exec(ctx, `CREATE TABLE `+table+` (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		payload text NOT NULL, created_at timestamptz NOT NULL)`); err != nil {
		return 0, fmt.Errorf("postgres: insert baseline: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = pool.Exec(cctx, `DROP TABLE `+table)
	}()
	insert := `INSERT INTO ` + table + ` (payload, created_at) VALUES ($1, $2)`

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Go(func() {
			n := 0
			var err error
			for n == 0 || time.Now().Before(deadline) {
				if _, err = pool.Exec(ctx, insert, baselinePayload, time.Now()); err != nil {
					break
				}
				n++
			}
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && first == nil {
				first = fmt.Errorf("after %d commits: %w", n, err)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return 0, fmt.Errorf("postgres: insert baseline: %w", first)
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

// Durability reports the server's synchronous_commit setting, which
// decides when a commit is durable ("on": flushed to the WAL on disk).
func (s *Store) Durability(ctx context.Context) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: durability: %w", err)
	}
	return v, nil
}
