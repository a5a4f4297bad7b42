package order

import (
	"net/http"
	"net/url"

	"github.com/ordohq/ordo"
)

// Reservation returns the service's reservation of the flows' workflows,
// for tests that store an order as an instance directly, as one created
// before its products were checked would be.
func (s *Service) Reservation() *ordo.Reservation { return s.reservation }

// PreviewQuery reads a preview's query as the preview route does and
// returns the size and whether the background is transparent.
func PreviewQuery(rawQuery string) (size int, transparent bool, err error) {
	p, err := parsePreviewRequest(&http.Request{URL: &url.URL{RawQuery: rawQuery}})
	return p.size, p.transparent, err
}
