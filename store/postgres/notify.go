package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// sqlNotifyEvent stores an event of store.Update.Notify or
// store.ControlParams.Notify ($4 to $7) if the sending instance $1 now has
// status $2 and finished at $3 (its state change applied) and the target
// exists and is not finished; a waiting target is made due at once, as
// EventSend does, without the event limits.
const sqlNotifyEvent = `WITH src AS (
		SELECT 1 FROM instances WHERE id = $1 AND status = $2 AND finished_at = $3),
	ins AS (
		INSERT INTO events (instance_id, type, payload, created_at)
		SELECT $4, $5, $6, $3 FROM instances
		WHERE id = $4 AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled') AND EXISTS (SELECT 1 FROM src)
		RETURNING id)
	UPDATE instances SET event_count = event_count + 1, event_bytes = event_bytes + $7::bigint,
		wake_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $3) THEN $3 ELSE wake_at END,
		updated_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $3) THEN $3 ELSE updated_at END
	WHERE id = $4 AND EXISTS (SELECT 1 FROM ins)`

// queueNotify queues the Notify events of the updates that change state
// to a final status, each applied only if its state change did.
func queueNotify(b *pgx.Batch, updates []*store.Update, channel string) {
	queued := false
	for _, u := range updates {
		if u.State == nil || !u.State.Status.Terminal() {
			continue
		}
		at := ts(now(u.Now))
		for _, ev := range u.Notify {
			b.Queue(sqlNotifyEvent, u.InstanceID, string(u.State.Status), at, ev.InstanceID, ev.Type, rawArg(ev.Payload), int64(len(ev.Payload)))
			queued = true
		}
	}
	if queued {
		b.Queue(sqlNotify, channel)
	}
}

// notifyTx stores the Notify events of a terminate of instanceID at t.
func (s *Store) notifyTx(ctx context.Context, tx pgx.Tx, instanceID string, t time.Time, events []*store.EventSendParams) error {
	for _, ev := range events {
		if _, err := tx.Exec(ctx, sqlNotifyEvent, instanceID, string(store.StatusTerminated), t, ev.InstanceID, ev.Type,
			rawArg(ev.Payload), int64(len(ev.Payload))); err != nil {
			return err
		}
	}
	if len(events) > 0 {
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return err
		}
	}
	return nil
}
