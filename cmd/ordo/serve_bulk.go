package main

import (
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/store/postgres"
)

// bulkPostgresConcurrency is how many actions of a bulk job's page run at
// once on PostgreSQL (SQLite takes one write at a time: 1 there).
const bulkPostgresConcurrency = 4

// setupBulk adds bulk jobs to `ordo serve`: their workflow on the engine
// (so this process carries on any job, whichever process started it) and
// the /v1/instances/bulk, /v1/orders/bulk and /v1/bulk routes. It runs
// after the orders extension, which sets s.orders: the dashboard's
// extension calls it too, for its bulk actions, and the second call
// returns at once.
func setupBulk(s *serverParts) error {
	if s.bulk != nil {
		return nil
	}
	cfg := bulk.Config{Engine: s.engine, Orders: s.orders, Logger: s.log}
	if _, ok := s.store.(*postgres.Store); ok {
		cfg.Concurrency = bulkPostgresConcurrency
	}
	svc, err := bulk.New(cfg)
	if err != nil {
		return err
	}
	svc.Routes(s.api)
	s.bulk = svc
	return nil
}
