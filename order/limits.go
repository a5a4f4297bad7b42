package order

import (
	"fmt"

	"github.com/ordohq/ordo/mesh"
)

// Defaults of Limits.
const (
	// DefaultMaxOrderItems is the most items an order may hold.
	DefaultMaxOrderItems = 1000
	// DefaultMaxTrianglesPerItem is the most triangles one item's mesh
	// may have: 2,000,000, a 100 MB binary STL.
	DefaultMaxTrianglesPerItem = mesh.DefaultMaxTriangles
	// DefaultMaxFileBytesPerOrder is the most bytes an order's production
	// files may take: 200 MiB.
	DefaultMaxFileBytesPerOrder = 200 << 20
)

// maxOrderItemsCeiling is the largest MaxOrderItems: a bigger order is a
// batch job, not an order.
const maxOrderItemsCeiling = 100_000

// Limits bound what one order may cost. CreateOrder refuses an order over
// any of them with an *InvalidOrderError naming the item, before anything
// is stored or built; the generate-production-files step enforces them
// again, for orders created under other limits. Zero fields take the
// defaults.
type Limits struct {
	// MaxOrderItems is the most items an order may hold. Default
	// DefaultMaxOrderItems (1000); at most 100,000.
	MaxOrderItems int
	// MaxTrianglesPerItem is the most triangles the mesh of one item may
	// have, as its template estimates it from the parameters. Default
	// DefaultMaxTrianglesPerItem (2,000,000); at most mesh.MaxTriangles.
	MaxTrianglesPerItem int64
	// MaxFileBytesPerOrder is the most bytes all production files of an
	// order may take: every item's file in the format of each
	// generate-production-files step of the flow, as the templates
	// estimate them (exact for binary STL, an upper bound for OBJ).
	// Default DefaultMaxFileBytesPerOrder (200 MiB).
	MaxFileBytesPerOrder int64
}

// setDefaults fills in the zero fields and checks the others.
func (l *Limits) setDefaults() error {
	if l.MaxOrderItems == 0 {
		l.MaxOrderItems = DefaultMaxOrderItems
	}
	if l.MaxTrianglesPerItem == 0 {
		l.MaxTrianglesPerItem = DefaultMaxTrianglesPerItem
	}
	if l.MaxFileBytesPerOrder == 0 {
		l.MaxFileBytesPerOrder = DefaultMaxFileBytesPerOrder
	}
	switch {
	case l.MaxOrderItems < 1 || l.MaxOrderItems > maxOrderItemsCeiling:
		return fmt.Errorf("MaxOrderItems %d: want 1 to %d", l.MaxOrderItems, maxOrderItemsCeiling)
	case l.MaxTrianglesPerItem < 1 || l.MaxTrianglesPerItem > mesh.MaxTriangles:
		return fmt.Errorf("MaxTrianglesPerItem %d: want 1 to %d", l.MaxTrianglesPerItem, mesh.MaxTriangles)
	case l.MaxFileBytesPerOrder < 1:
		return fmt.Errorf("MaxFileBytesPerOrder %d: want at least 1", l.MaxFileBytesPerOrder)
	}
	return nil
}
