package main

import "github.com/ordohq/ordo/bulk"

// setupBulk adds bulk jobs to `ordo serve`: their workflow on the engine
// (so this process carries on any job, whichever process started it) and
// the /v1/instances/bulk, /v1/orders/bulk and /v1/bulk routes. It runs
// after the extensions, which set s.orders.
func setupBulk(s *serverParts) error {
	svc, err := bulk.New(bulk.Config{Engine: s.engine, Orders: s.orders, Logger: s.log})
	if err != nil {
		return err
	}
	svc.Routes(s.api)
	s.bulk = svc
	return nil
}
