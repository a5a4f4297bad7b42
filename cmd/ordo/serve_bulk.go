package main

import "github.com/ordohq/ordo/bulk"

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
	svc, err := bulk.New(bulk.Config{Engine: s.engine, Orders: s.orders, Logger: s.log})
	if err != nil {
		return err
	}
	svc.Routes(s.api)
	s.bulk = svc
	return nil
}
