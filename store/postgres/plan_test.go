package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestQueryPlans pins that the hot statements reach instances through an
// index, on a table large enough (and analysed) that a sequential scan
// would show, so a schema or query change cannot silently make every
// claim or commit read the whole table.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	s, err := Open(t.Context(), url, &Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.pool.Exec(ctx, `INSERT INTO instances (id, workflow, status, created_at, updated_at, wake_at, lease_token, lease_expires_at)
		SELECT 'i' || g, 'wf' || (g % 10), (ARRAY['complete','waiting','running','queued'])[1 + g % 4], now(), now(),
			CASE WHEN g % 4 = 1 THEN now() + interval '1 hour' END,
			CASE WHEN g % 4 = 2 THEN 'tok' || g END, CASE WHEN g % 4 = 2 THEN now() + interval '1 hour' END
		FROM generate_series(1, 20000) g;
		INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, started_at)
		SELECT 'i' || g, 's#1', 's', 1, 0, 'do', 'completed', now() FROM generate_series(1, 20000) g;
		ANALYZE instances; ANALYZE steps`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ids := []string{"i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8", "i9", "i10"}
	tokens := []string{"tok2", "tok6", "tok10"}
	p, err := newRoundPlan(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, a, c, in := &p.steps, &p.atts, &p.consume, &p.inst
	for _, id := range ids {
		in.id, in.token, in.now = append(in.id, id), append(in.token, "tok"), append(in.now, now)
		in.setCustom, in.custom, in.release = append(in.setCustom, false), append(in.custom, ""), append(in.release, false)
		in.status, in.output, in.error, in.wake, in.await = append(in.status, nil), append(in.output, nil), append(in.error, nil), append(in.wake, nil), append(in.await, nil)
	}
	write := []any{in.id, in.token, in.now, in.setCustom, in.custom, in.status, in.output, in.error, in.wake, in.await, in.release,
		st.instanceID, st.key, st.name, st.seq, st.ordinal, st.kind, st.status, st.output, st.error, st.attempts,
		st.nextAttemptAt, st.wakeAt, st.customStatus, st.hasComp, st.compData, st.compStatus, st.compError,
		st.compAttempts, st.compNextAt, st.startedAt, st.finishedAt,
		a.instanceID, a.stepKey, a.number, a.compensation, a.startedAt, a.finishedAt, a.error,
		c.instanceID, c.eventID, c.stepKey, store.WebhookRetryPeriod.Microseconds(), st.await}
	tests := []struct {
		name, query string
		args        []any
	}{
		{"claim", sqlClaimReturning, []any{now, nil, 64, "w", now, "c", nil, ""}},
		{"claim workflows", sqlClaimReturning, []any{now, []string{"wf1", "wf2"}, 64, "w", now, "c", nil, ""}},
		{"claim versions", sqlClaimReturning, []any{now, []string{"wf1", "wf2"}, 64, "w", now, "c", []string{"v1"}, "v1"}},
		{"claimed steps", sqlClaimedSteps, []any{"c:", "c;"}},
		{"heartbeat", sqlHeartbeat, []any{now, tokens}},
		{"next wake", sqlNextWake, nil},
		{"commit lock", sqlCommitLock, []any{ids}},
		{"commit write", sqlCommitWrite, write},
		{"journal steps", sqlSteps, []any{"i1"}},
		{"list status", `SELECT ` + instanceCols + ` FROM instances WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT 51`, []any{"queued"}},
	}
	for _, tc := range tests {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		_ = tx.Rollback(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		joined := strings.Join(plan, "\n")
		if strings.Contains(joined, "Seq Scan on instances") || strings.Contains(joined, "Seq Scan on steps") {
			t.Errorf("%s: a sequential scan of a large table:\n%s", tc.name, joined)
		}
	}
}
