package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// CreateKey generates a key named name with scope, stores its hash and
// returns the key (the only time it is shown) with its stored record.
// createdBy names the key that asked for it ("" for the CLI or an open
// server).
func (a *Authenticator) CreateKey(ctx context.Context, name string, scope Scope, createdBy string) (string, *store.APIKey, error) {
	if err := ordo.ValidateID("key name", name); err != nil {
		return "", nil, err
	}
	if _, err := ParseScope(string(scope)); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ordo.ErrInvalidArgument, err)
	}
	if name == a.cfg.BootstrapName {
		// Reserved even while no bootstrap key is set: requests made with
		// the bootstrap key are recorded under this name.
		return "", nil, fmt.Errorf("%w: key name %q is reserved for the bootstrap key (ORDO_API_KEY); pick another name",
			ordo.ErrInvalidArgument, name)
	}
	if a.cfg.Store == nil {
		return "", nil, ErrNoKeyStore
	}
	key, err := GenerateKey()
	if err != nil {
		return "", nil, err
	}
	now := a.cfg.Now()
	audit := ordo.ActionEntry(ctx, now, store.ActionKeyCreate)
	audit.Target, audit.After = "key/"+name, ordo.ActionData(map[string]string{"scope": string(scope)}) // never the key
	k, err := a.cfg.Store.KeyCreate(ctx, &store.KeyCreateParams{Name: name, Scope: string(scope), Hash: HashKey(key),
		Prefix: DisplayPrefix(key), CreatedBy: createdBy, Now: now, Audit: audit})
	if err != nil {
		return "", nil, keyError(name, err)
	}
	a.Invalidate()
	return key, k, nil
}

// RevokeKey revokes the named key; its requests and sessions stop
// working at once in this process and within Config.CacheTTL in others.
func (a *Authenticator) RevokeKey(ctx context.Context, name string) (*store.APIKey, error) {
	if err := ordo.ValidateID("key name", name); err != nil {
		return nil, err
	}
	if a.cfg.Store == nil {
		return nil, ErrNoKeyStore
	}
	now := a.cfg.Now()
	k, err := a.cfg.Store.KeyRevoke(ctx, name, now)
	if err != nil {
		return nil, keyError(name, err)
	}
	a.Invalidate()
	// KeyRevoke takes no entry: it is recorded right after.
	if err := ordo.RecordAction(ctx, a.cfg.Store, now, &store.Action{Action: store.ActionKeyRevoke, Target: "key/" + name}); err != nil {
		a.cfg.Logger.Error("auth: key revoked but not recorded in the audit trail", "key", name, "err", err)
	}
	return k, nil
}

// ListKeys returns every stored key (never the keys themselves).
func (a *Authenticator) ListKeys(ctx context.Context) ([]*store.APIKey, error) {
	if a.cfg.Store == nil {
		return nil, ErrNoKeyStore
	}
	ks, err := a.cfg.Store.KeyList(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: list keys: %w", err)
	}
	return ks, nil
}

// keyError maps the store's sentinels to the engine's, with a message for
// the caller.
func keyError(name string, err error) error {
	var se *store.Error
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("%w: an active key is named %q; revoke it first or pick another name", ordo.ErrAlreadyExists, name)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: no key is named %q", ordo.ErrNotFound, name)
	case errors.As(err, &se) && errors.Is(err, store.ErrInvalidArgument):
		return fmt.Errorf("%w: %s", ordo.ErrInvalidArgument, se.Message)
	}
	return fmt.Errorf("auth: key %q: %w", name, err)
}
