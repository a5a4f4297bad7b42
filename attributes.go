package ordo

import (
	"context"
	"fmt"

	"github.com/ordohq/ordo/store"
)

// attributeStore returns the store's AttributeStore, or an error saying
// the store cannot change attributes.
func (e *Engine) attributeStore() (store.AttributeStore, error) {
	as, ok := e.store.(store.AttributeStore)
	if !ok {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("the store (%T) cannot change search attributes", e.store)}
	}
	return as, nil
}

// Attributes returns an instance's search attributes sorted by key and
// value.
func (e *Engine) Attributes(ctx context.Context, id string) ([]Attribute, error) {
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	as, err := e.attributeStore()
	if err != nil {
		return nil, err
	}
	attrs, err := as.InstanceAttributes(ctx, id)
	if err != nil {
		return nil, storeError(fmt.Sprintf("attributes of instance %q", id), err, instanceMissing(id))
	}
	return attrs, nil
}

// ReplaceAttributes replaces all of an instance's search attributes with
// attrs, atomically: for when what they were derived from changes (an
// order's document edited by a redrive).
func (e *Engine) ReplaceAttributes(ctx context.Context, id string, attrs []Attribute) error {
	if err := checkLookupID(id); err != nil {
		return err
	}
	as, err := e.attributeStore()
	if err != nil {
		return err
	}
	if err := as.InstanceAttributesReplace(ctx, id, attrs); err != nil {
		return storeError(fmt.Sprintf("replace attributes of instance %q", id), err, instanceMissing(id))
	}
	return nil
}
