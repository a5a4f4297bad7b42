package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/ordohq/ordo/store"
)

var _ store.AttributeStore = (*Store)(nil)

// InstanceAttributes returns an instance's search attributes sorted by key
// and value (store.ErrNotFound if the instance does not exist).
func (s *Store) InstanceAttributes(ctx context.Context, instanceID string) ([]store.Attribute, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: instance attributes %q: %w", instanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[instanceID]
	if !ok {
		return nil, fmt.Errorf("memory: instance attributes %q: %w", instanceID, store.ErrNotFound)
	}
	out := slices.Clone(x.attrs)
	if out == nil {
		out = []store.Attribute{}
	}
	return out, nil
}

// InstanceAttributesReplace replaces an instance's search attributes with
// attrs (store.ErrNotFound if the instance does not exist).
func (s *Store) InstanceAttributesReplace(ctx context.Context, instanceID string, attrs []store.Attribute) error {
	attrs, err := store.NormalizeAttributes(attrs)
	if err != nil {
		return fmt.Errorf("memory: instance attributes replace %q: %w", instanceID, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: instance attributes replace %q: %w", instanceID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.instances[instanceID]
	if !ok {
		return fmt.Errorf("memory: instance attributes replace %q: %w", instanceID, store.ErrNotFound)
	}
	x.attrs = attrs
	return nil
}
