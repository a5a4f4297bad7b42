package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

// webhookTable holds the webhooks and their deliveries (guarded by
// Store.mu, because Commit and InstanceControl write deliveries).
type webhookTable struct {
	hooks      map[string]*store.Webhook
	deliveries []*webhookDelivery // by ID, ascending
	nextID     int64
}

type webhookDelivery struct {
	d            store.WebhookDelivery
	claimedUntil time.Time
}

var _ store.WebhookStore = (*Store)(nil)

// report writes the deliveries of the changes of instance in, made at t,
// to every webhook that takes them. Nothing is done without webhooks.
func (t *webhookTable) report(in *store.Instance, changes []store.WebhookChange, at time.Time) {
	if len(t.hooks) == 0 || len(changes) == 0 {
		return
	}
	ids := make([]string, 0, len(t.hooks))
	for id := range t.hooks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, c := range changes {
		for _, id := range ids {
			if w := t.hooks[id]; w.Subscribes(c.Event) {
				t.nextID++
				d := store.NewWebhookDelivery(w, in.ID, in.Workflow, c, at)
				d.ID = t.nextID
				t.deliveries = append(t.deliveries, &webhookDelivery{d: *d})
			}
		}
	}
}

// WebhookCreate stores a new webhook.
func (s *Store) WebhookCreate(ctx context.Context, w *store.Webhook) error {
	if err := store.ValidateWebhook(w); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks.hooks == nil {
		s.hooks.hooks = map[string]*store.Webhook{}
	}
	if _, ok := s.hooks.hooks[w.ID]; ok {
		return fmt.Errorf("memory: webhook %q: %w", w.ID, store.ErrAlreadyExists)
	}
	if len(s.hooks.hooks) >= store.MaxWebhooks {
		return fmt.Errorf("memory: webhook %q: %w", w.ID, store.ErrWebhookLimit())
	}
	c := *w
	c.Events = slices.Clone(w.Events)
	c.CreatedAt = now(w.CreatedAt)
	s.hooks.hooks[w.ID] = &c
	return nil
}

// WebhookGet returns one webhook.
func (s *Store) WebhookGet(ctx context.Context, id string) (*store.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.hooks.hooks[id]
	if !ok {
		return nil, fmt.Errorf("memory: webhook %q: %w", id, store.ErrNotFound)
	}
	c := *w
	c.Events = slices.Clone(w.Events)
	return &c, nil
}

// WebhookList returns every webhook sorted by ID.
func (s *Store) WebhookList(ctx context.Context) ([]*store.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*store.Webhook, 0, len(s.hooks.hooks))
	for _, w := range s.hooks.hooks {
		c := *w
		c.Events = slices.Clone(w.Events)
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *store.Webhook) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// WebhookDelete removes a webhook and its deliveries.
func (s *Store) WebhookDelete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hooks.hooks[id]; !ok {
		return fmt.Errorf("memory: webhook %q: %w", id, store.ErrNotFound)
	}
	delete(s.hooks.hooks, id)
	s.hooks.deliveries = slices.DeleteFunc(s.hooks.deliveries, func(d *webhookDelivery) bool { return d.d.WebhookID == id })
	return nil
}

// WebhookClaim claims due deliveries, the oldest pending one of each
// webhook and instance.
func (s *Store) WebhookClaim(ctx context.Context, p *store.WebhookClaimParams) ([]*store.WebhookDelivery, error) {
	limit, err := store.WebhookClaimLimit(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type chain struct{ hook, instance string }
	seen := map[chain]bool{}
	var out []*store.WebhookDelivery
	for _, x := range s.hooks.deliveries {
		if x.d.State != store.WebhookPending {
			continue
		}
		k := chain{x.d.WebhookID, x.d.InstanceID}
		if seen[k] {
			continue
		}
		seen[k] = true
		if x.d.NextAttemptAt.After(p.Now) || x.claimedUntil.After(p.Now) || len(out) == limit {
			continue
		}
		x.claimedUntil = p.Until
		d := cloneDelivery(&x.d)
		w := s.hooks.hooks[d.WebhookID]
		d.URL, d.Secret = w.URL, w.Secret
		out = append(out, d)
	}
	return out, nil
}

// WebhookRecord records one attempt of a claimed delivery.
func (s *Store) WebhookRecord(ctx context.Context, p *store.WebhookRecordParams) error {
	if err := store.ValidateWebhookRecord(p); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.hooks.find(p.ID)
	if x == nil || x.d.State != store.WebhookPending || len(x.d.Attempts) != p.Attempt.Number-1 {
		return fmt.Errorf("memory: webhook delivery %d attempt %d: %w", p.ID, p.Attempt.Number, store.ErrLeaseLost)
	}
	a := p.Attempt
	a.At = now(a.At)
	x.d.Attempts = append(x.d.Attempts, a)
	x.d.State = p.State
	x.d.NextAttemptAt = nil
	x.claimedUntil = time.Time{}
	if p.State == store.WebhookPending {
		next := now(p.NextAttemptAt)
		x.d.NextAttemptAt = &next
	}
	return nil
}

// WebhookDeliveries lists a webhook's deliveries newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, p *store.WebhookDeliveryListParams) (*store.WebhookDeliveryPage, error) {
	limit, after, err := store.WebhookDeliveryListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hooks.hooks[p.WebhookID]; !ok {
		return nil, fmt.Errorf("memory: webhook %q: %w", p.WebhookID, store.ErrNotFound)
	}
	var ds []*store.WebhookDelivery
	for i := len(s.hooks.deliveries) - 1; i >= 0 && len(ds) <= limit; i-- {
		x := s.hooks.deliveries[i]
		if x.d.WebhookID == p.WebhookID && (after == 0 || x.d.ID < after) {
			ds = append(ds, cloneDelivery(&x.d))
		}
	}
	return store.WebhookDeliveryPageOf(ds, limit), nil
}

// WebhookRedeliver makes a finished delivery pending again.
func (s *Store) WebhookRedeliver(ctx context.Context, webhookID string, id int64, at time.Time) (*store.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.hooks.find(id)
	if x == nil || x.d.WebhookID != webhookID {
		return nil, fmt.Errorf("memory: webhook %q delivery %d: %w", webhookID, id, store.ErrNotFound)
	}
	if x.d.State != store.WebhookPending {
		t := now(at)
		x.d.State, x.d.NextAttemptAt, x.d.RetryUntil = store.WebhookPending, &t, t.Add(store.WebhookRetryPeriod)
		x.claimedUntil = time.Time{}
	}
	return cloneDelivery(&x.d), nil
}

func (t *webhookTable) find(id int64) *webhookDelivery {
	i, ok := slices.BinarySearchFunc(t.deliveries, id, func(x *webhookDelivery, id int64) int {
		return int(x.d.ID - id)
	})
	if !ok {
		return nil
	}
	return t.deliveries[i]
}

func cloneDelivery(d *store.WebhookDelivery) *store.WebhookDelivery {
	c := *d
	c.Attempts = slices.Clone(d.Attempts)
	if c.Attempts == nil {
		c.Attempts = []store.WebhookAttempt{}
	}
	if d.NextAttemptAt != nil {
		t := *d.NextAttemptAt
		c.NextAttemptAt = &t
	}
	return &c
}

// WebhookPrune deletes finished deliveries whose last attempt is before
// before.
func (s *Store) WebhookPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.hooks.deliveries = slices.DeleteFunc(s.hooks.deliveries, func(x *webhookDelivery) bool {
		if n >= limit || x.d.State == store.WebhookPending || len(x.d.Attempts) == 0 ||
			!x.d.Attempts[len(x.d.Attempts)-1].At.Before(before) {
			return false
		}
		n++
		return true
	})
	return n, nil
}
