package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/store"
)

// Defaults of Dispatcher.
const (
	// DefaultPoll is how often an idle dispatcher looks for due deliveries.
	DefaultPoll = time.Second
	// DefaultBatch is how many deliveries one claim takes.
	DefaultBatch = 32
	// DefaultAttemptTimeout bounds one POST.
	DefaultAttemptTimeout = 10 * time.Second
	// FirstBackoff is the wait after the first failed attempt; it doubles
	// after each further failure, up to MaxBackoff. Retries go on until the
	// delivery's RetryUntil (store.WebhookRetryPeriod, 24 h, after the
	// change, or after its first attempt when it waited for earlier
	// deliveries of its instance): about 30 attempts, then it is marked
	// failed.
	FirstBackoff = 5 * time.Second
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff = time.Hour
	// DefaultRetention is how long finished deliveries stay in the log.
	DefaultRetention = 30 * 24 * time.Hour
	// pruneEvery is how often Run deletes finished deliveries past the
	// retention, and pruneBatch how many at most each time.
	pruneEvery, pruneBatch = time.Hour, 1000
	// maxResponseExcerpt bounds the part of an error answer recorded.
	maxResponseExcerpt = 200
)

// Backoff returns the wait after failed attempt n (from 1):
// FirstBackoff·2^(n-1), at most MaxBackoff.
func Backoff(n int) time.Duration {
	d := FirstBackoff
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// Dispatcher delivers the webhook outbox: it claims due deliveries, POSTs
// each signed (SetHeaders, webhook-id "msg_<delivery id>") and records the
// attempt. A 2xx answer delivers; anything else is retried with Backoff
// until the delivery's RetryUntil, then marked failed. Deliveries of one
// webhook and instance go out in order (the store claims only the oldest
// pending one), at least once: a dispatcher that dies after the POST but
// before recording it sends it again once its claim lapses. Many
// dispatchers, in one or many processes, may share a store.
type Dispatcher struct {
	// Store holds the webhooks and the outbox. Required.
	Store store.WebhookStore
	// Outbound is the policy every POST is checked against (link-local and
	// cloud metadata refused by default). Default: the built-in policy.
	Outbound *outbound.Policy
	// HTTP sends the POSTs. Default: Outbound.Client() without following
	// redirects.
	HTTP *http.Client
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Poll is how long an idle Run waits before claiming again. Default:
	// DefaultPoll.
	Poll time.Duration
	// Batch is how many deliveries one claim takes. Default: DefaultBatch.
	Batch int
	// AttemptTimeout bounds one POST; the claim lasts twice the batch's
	// worth of it. Default: DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Logger receives failed attempts. Default: slog.Default().
	Logger *slog.Logger
	// Retention is how long delivered and failed deliveries stay in the
	// delivery log; Run prunes older ones every hour. Default:
	// DefaultRetention (30 days).
	Retention time.Duration
	// OnAttempt, if set, is called after each recorded attempt with the
	// webhook's ID and the state the attempt left the delivery in:
	// store.WebhookDelivered, store.WebhookPending (to be retried) or
	// store.WebhookFailed. Package metrics counts them. It must not block.
	// Default: none.
	OnAttempt func(webhookID, state string)

	once   sync.Once
	client *http.Client
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Poll <= 0 {
			d.Poll = DefaultPoll
		}
		if d.Batch <= 0 {
			d.Batch = DefaultBatch
		}
		if d.AttemptTimeout <= 0 {
			d.AttemptTimeout = DefaultAttemptTimeout
		}
		if d.Logger == nil {
			d.Logger = slog.Default()
		}
		if d.Retention <= 0 {
			d.Retention = DefaultRetention
		}
		if d.Outbound == nil {
			d.Outbound, _ = outbound.New(outbound.Config{}) // an empty configuration is valid
		}
		d.client = d.HTTP
		if d.client == nil {
			d.client = d.Outbound.Client()
			d.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
	})
}

// Run delivers until ctx ends, then returns nil. Store errors are logged
// and retried at the next poll; Run never blocks the engine, whose commits
// only write the outbox.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.init()
	t := time.NewTimer(0)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if now := d.Now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			for range 100 { // up to 100,000 an hour, in batches
				n, err := d.Prune(ctx)
				if err != nil && ctx.Err() == nil {
					d.Logger.Warn("webhook: prune", "err", err)
				}
				if err != nil || n < pruneBatch {
					break
				}
			}
		}
		n, err := d.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Logger.Warn("webhook: dispatch", "err", err)
		}
		if n == d.Batch {
			t.Reset(0) // more may be due
		} else {
			t.Reset(d.Poll)
		}
	}
}

// Prune deletes up to 1,000 delivered or failed deliveries that finished
// more than Retention ago, and returns how many it deleted.
func (d *Dispatcher) Prune(ctx context.Context) (int, error) {
	d.init()
	n, err := d.Store.WebhookPrune(ctx, d.Now().Add(-d.Retention), pruneBatch)
	if err != nil {
		return n, fmt.Errorf("webhook: prune: %w", err)
	}
	return n, nil
}

// DispatchOnce claims one batch of due deliveries, sends them (those of
// one batch concurrently: the store never puts two of one webhook and
// instance in a batch) and records each attempt. It returns how many it
// claimed.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	d.init()
	now := d.Now()
	ds, err := d.Store.WebhookClaim(ctx, &store.WebhookClaimParams{
		Limit: d.Batch, Now: now, Until: now.Add(2*d.AttemptTimeout + time.Minute),
	})
	if err != nil {
		return 0, fmt.Errorf("webhook: claim: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, dl := range ds {
		wg.Go(func() {
			if err := d.deliver(ctx, dl); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(ds), errors.Join(errs...)
}

// deliver makes one attempt of dl and records it.
func (d *Dispatcher) deliver(ctx context.Context, dl *store.WebhookDelivery) error {
	n := len(dl.Attempts) + 1
	code, sendErr := d.send(ctx, dl)
	at := d.Now()
	rec := &store.WebhookRecordParams{ID: dl.ID, State: store.WebhookDelivered,
		Attempt: store.WebhookAttempt{Number: n, At: at, StatusCode: code}}
	if sendErr != nil {
		rec.Attempt.Error = sendErr.Error()
		rec.NextAttemptAt = at.Add(Backoff(n))
		rec.State = store.WebhookPending
		if rec.NextAttemptAt.After(retryUntil(dl, at)) || errors.Is(sendErr, outbound.ErrRefused) || errors.Is(sendErr, ErrInvalidSecret) {
			rec.State = store.WebhookFailed
		}
		d.Logger.Warn("webhook: delivery failed", "webhook", dl.WebhookID, "delivery", dl.ID, "attempt", n,
			"state", rec.State, "err", sendErr)
	}
	if err := d.Store.WebhookRecord(ctx, rec); err != nil {
		return fmt.Errorf("webhook %q delivery %d: record attempt %d: %w", dl.WebhookID, dl.ID, n, err)
	}
	if d.OnAttempt != nil {
		d.OnAttempt(dl.WebhookID, rec.State)
	}
	return nil
}

// send POSTs dl once and returns the status code (0 when none came) and
// why it failed.
func (d *Dispatcher) send(ctx context.Context, dl *store.WebhookDelivery) (int, error) {
	key, err := ParseSecret(dl.Secret)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.AttemptTimeout)
	defer cancel()
	body := dl.Body()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", dl.URL, err)
	}
	if err := d.Outbound.CheckURL(req.URL); err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ordo/1")
	SetHeaders(req.Header, key, dl.MessageID(), d.Now(), body)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("POST: status %d: %q", resp.StatusCode, excerpt)
	}
	return resp.StatusCode, nil
}

// unwrapURL drops the URL that *url.Error repeats (its query string may
// hold credentials).
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// retryUntil is when dl stops being retried: its RetryUntil, or the retry
// period after its first attempt when that is later (a delivery that
// waited for earlier ones of its instance gets its full period).
func retryUntil(dl *store.WebhookDelivery, at time.Time) time.Time {
	first := at
	if len(dl.Attempts) > 0 {
		first = dl.Attempts[0].At
	}
	if end := first.Add(store.WebhookRetryPeriod); end.After(dl.RetryUntil) {
		return end
	}
	return dl.RetryUntil
}
