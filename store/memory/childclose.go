package memory

import (
	"github.com/ordohq/ordo/store"
)

// closeChildren applies store.CloseChildren to the children of the
// instance p terminated or cancelled, under s.mu with the parent's
// action: each child's action (with its audit entry, and its own
// children's) is seen with the parent's.
func (s *Store) closeChildren(p *store.ControlParams) error {
	var children []*store.Instance
	for _, x := range s.instances {
		if x.in.ParentID == p.InstanceID && !x.in.Status.Terminal() {
			children = append(children, cloneInstance(x.in))
		}
	}
	return store.CloseChildren(p, children, func(cp *store.ControlParams) error {
		audit, err := store.PrepareAttached(cp.Audit)
		if err != nil {
			return err
		}
		if err := s.control(cp); err != nil {
			return err
		}
		s.actions.add(audit)
		return nil
	})
}
