package order

import "github.com/ordohq/ordo"

// Reservation returns the service's reservation of the flows' workflows,
// for tests that store an order as an instance directly, as one created
// before its products were checked would be.
func (s *Service) Reservation() *ordo.Reservation { return s.reservation }
