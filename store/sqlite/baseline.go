package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// baselinePayload is about the size of an instance row's params.
const baselinePayload = `{"order":"A-10042","customer":"c_81723","items":[{"sku":"MUG-11OZ","qty":2},{"sku":"TEE-M","qty":1}],"total":4280,"currency":"EUR"}`

// MeasureInsertBaseline returns how many commits per second one connection
// achieves inserting one row per transaction, for about d, into a fresh
// database file under dir (removed afterwards) opened with the same DSN
// settings as Open (WAL, synchronous=FULL, BEGIN IMMEDIATE). It is the
// one-fsync-per-write baseline that `ordo bench` compares batched commits
// against. It reads the wall clock: it measures real time.
func MeasureInsertBaseline(ctx context.Context, dir string, d time.Duration) (float64, error) {
	if d <= 0 {
		return 0, fmt.Errorf("sqlite: insert baseline: duration %v must be positive", d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "ordo-baseline-")
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	defer os.RemoveAll(tmp)
	abs, err := filepath.Abs(filepath.Join(tmp, "baseline.db"))
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs, 5*time.Second, true))
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE baseline (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, created_at INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	ins, err := db.PrepareContext(ctx, `INSERT INTO baseline (payload, created_at) VALUES (?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert baseline: %w", err)
	}
	defer ins.Close()

	insert := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, ins).ExecContext(ctx, baselinePayload, time.Now().UnixMicro()); err != nil {
			return errors.Join(err, tx.Rollback())
		}
		return tx.Commit()
	}
	var n int
	start := time.Now()
	deadline := start.Add(d)
	for n == 0 || time.Now().Before(deadline) {
		if err := insert(); err != nil {
			return 0, fmt.Errorf("sqlite: insert baseline: after %d commits: %w", n, err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
