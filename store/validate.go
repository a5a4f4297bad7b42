package store

import (
	"errors"
	"fmt"
)

// ValidateCreate checks InstanceCreateParams before a backend stores them,
// and normalises p.Attributes in place (NormalizeAttributes).
func ValidateCreate(p *InstanceCreateParams) error {
	if p == nil || p.ID == "" || p.Workflow == "" {
		return errors.New("instance create: ID and Workflow are required")
	}
	if p.Claim != nil && p.Claim.Token == "" {
		return fmt.Errorf("instance create %q: Claim.Token is required", p.ID)
	}
	if err := ValidateTraceContext(p.Trace); err != nil {
		return fmt.Errorf("instance create %q: %w", p.ID, err)
	}
	if err := ValidatePriority(p.Priority); err != nil {
		return fmt.Errorf("instance create %q: %w", p.ID, err)
	}
	if pl := p.Parent; pl != nil && (pl.ID == "" || pl.ID == p.ID || !pl.Policy.Valid()) {
		return fmt.Errorf("instance create %q: Parent needs another instance's ID and a child policy (terminate, cancel or abandon)", p.ID)
	}
	if p.Parent != nil && len(p.Attributes) > 0 {
		return fmt.Errorf("instance create %q: a child instance (Parent) takes no Attributes", p.ID)
	}
	if len(p.Attributes) > 0 {
		attrs, err := NormalizeAttributes(p.Attributes)
		if err != nil {
			return fmt.Errorf("instance create %q: %w", p.ID, err)
		}
		p.Attributes = attrs
	}
	return nil
}

// ValidateUpdates checks a Commit batch before a backend applies it: no nil
// update or step, only the state changes an update may make, and a Create
// consistent with the rest of its update. Backends reject the whole batch
// when it fails.
func ValidateUpdates(updates []*Update) error {
	for i, u := range updates {
		if u == nil {
			return fmt.Errorf("update %d is nil", i)
		}
		if err := validateUpdateCreate(u); err != nil {
			return err
		}
		for _, st := range u.Steps {
			if st == nil {
				return fmt.Errorf("instance %q: nil step", u.InstanceID)
			}
		}
		if u.State == nil {
			continue
		}
		switch u.State.Status {
		case StatusWaiting, StatusQueued, StatusComplete, StatusErrored, StatusCancelled:
		default:
			return fmt.Errorf("instance %q: state %q not allowed in an update (waiting, queued, complete or errored)",
				u.InstanceID, u.State.Status)
		}
	}
	return nil
}

// validateUpdateCreate checks an update's Create against the rest of it.
func validateUpdateCreate(u *Update) error {
	c := u.Create
	if c == nil {
		return nil
	}
	if err := ValidateCreate(c); err != nil {
		return err
	}
	if c.ID != u.InstanceID {
		return fmt.Errorf("instance %q: Create.ID is %q", u.InstanceID, c.ID)
	}
	if c.Parent != nil {
		return fmt.Errorf("instance %q: a child instance (Create.Parent) is created with InstanceCreate", u.InstanceID)
	}
	if len(u.Notify) > 0 && u.State == nil {
		return fmt.Errorf("instance %q: Notify without a State change", u.InstanceID)
	}
	if c.Claim != nil {
		if u.LeaseToken != c.Claim.Token {
			return fmt.Errorf("instance %q: LeaseToken differs from Create.Claim.Token", u.InstanceID)
		}
		return nil
	}
	if u.LeaseToken != "" || len(u.Steps) > 0 || len(u.Attempts) > 0 || len(u.ConsumeEvents) > 0 ||
		u.CustomStatus != nil || u.State != nil || u.Release {
		return fmt.Errorf("instance %q: an update that creates an unclaimed instance can carry nothing else", u.InstanceID)
	}
	return nil
}
