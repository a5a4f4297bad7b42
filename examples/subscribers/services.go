package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
)

// Products is the product service (the seed's Product Module): it counts
// the shop's products.
type Products struct{ DB *sql.DB }

// Count returns how many products the shop has.
func (p *Products) Count(ctx context.Context) (int, error) {
	var n int
	if err := p.DB.QueryRowContext(ctx, `SELECT count(*) FROM product`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count products: %w", err)
	}
	return n, nil
}

// Reports keeps the product-count reports the workflow writes.
type Reports struct{ DB *sql.DB }

// Save writes the report id (replacing one written by an earlier attempt).
func (r *Reports) Save(ctx context.Context, id, trigger string, count int) error {
	_, err := r.DB.ExecContext(ctx, `INSERT INTO report (id, trigger, product_count) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET trigger = excluded.trigger, product_count = excluded.product_count`, id, trigger, count)
	if err != nil {
		return fmt.Errorf("save report %q: %w", id, err)
	}
	return nil
}

// Delete removes the report id (the save's roll-back); a missing report is
// not an error.
func (r *Reports) Delete(ctx context.Context, id string) error {
	if _, err := r.DB.ExecContext(ctx, `DELETE FROM report WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete report %q: %w", id, err)
	}
	return nil
}

// Count returns how many reports are stored.
func (r *Reports) Count(ctx context.Context) (int, error) {
	var n int
	if err := r.DB.QueryRowContext(ctx, `SELECT count(*) FROM report`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count reports: %w", err)
	}
	return n, nil
}

// Notifier tells someone about a report (a chat channel, an e-mail).
type Notifier interface {
	Notify(ctx context.Context, message string) error
}

// LogNotifier is a Notifier that logs.
type LogNotifier struct{ Log *slog.Logger }

// Notify logs message.
func (n LogNotifier) Notify(ctx context.Context, message string) error {
	n.Log.InfoContext(ctx, "subscribers: notify", "message", message)
	return nil
}

// OpenShop opens (and creates) the shop's database: products and reports.
func OpenShop(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS product (id TEXT PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS report (id TEXT PRIMARY KEY, trigger TEXT NOT NULL, product_count INTEGER NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("create shop tables: %w", err)
		}
	}
	return db, nil
}

// NewShopContainer registers the shop's services on db and notifier.
func NewShopContainer(db *sql.DB, notifier Notifier) *Container {
	c := NewContainer()
	c.Register("product", &Products{DB: db})
	c.Register("report", &Reports{DB: db})
	c.Register("notifier", notifier)
	c.Register("exporter", Exporter(LogExporter{Log: slog.Default()}))
	return c
}
