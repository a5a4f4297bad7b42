package postgres

// The statements of a Commit round: create (if the round creates
// instances), lock, write. They take their rows as parallel arrays
// (unnest), so a batch of any size is three statements at most (after
// sqlGenericPlans), and they write only for the updates whose lease token
// the instance still holds: the join on (id, lease_token) is the fence. sqlCommitLock has locked the
// instance rows first, so the tokens cannot change under sqlCommitWrite.
const (
	// sqlGenericPlans makes the statements of the commit's transaction
	// (and only those: the setting is local to it) run their cached
	// generic plans. PostgreSQL otherwise plans sqlCommitLock anew on
	// every execution: a custom plan knows the length of its array and so
	// always looks cheaper than the generic one, which assumes ten
	// elements. That planning cost more than the lock itself. The generic
	// plans of these statements look instances up by key at any size
	// (TestQueryPlans checks them).
	sqlGenericPlans = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`

	// sqlCommitCreate inserts the instances of the updates that create
	// one. A conflicting ID is skipped (ErrAlreadyExists), except that a
	// claimed create whose instance holds the very same lease token is the
	// retry of a create that committed but whose answer was lost: it counts
	// as created. It returns the status of each instance it counts as
	// created.
	sqlCommitCreate = `INSERT INTO instances AS i (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims, version, trace_parent, trace_state, priority)
		SELECT c.id, c.workflow, c.status, c.params, c.at, c.at, c.started, c.owner, c.token, c.until, c.claims, c.version,
			c.trace_parent, c.trace_state, c.priority
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[], $6::timestamptz[],
			$7::text[], $8::text[], $9::timestamptz[], $10::int4[], $11::text[], $12::text[], $13::text[], $14::int4[])
			AS c(id, workflow, status, params, at, started, owner, token, until, claims, version, trace_parent, trace_state, priority)
		ON CONFLICT (id) DO UPDATE SET id = excluded.id
			WHERE i.lease_token IS NOT NULL AND i.lease_token = excluded.lease_token
		RETURNING i.id, i.status`

	// sqlCommitCreateAttrs is sqlCommitCreate for a round in which some
	// creates carry search attributes ($15..$17: instance ID, key, value
	// of each), written for the instances it created (a retried create's
	// are there already: DO NOTHING). Rounds without attributes keep the
	// plain statement.
	sqlCommitCreateAttrs = `WITH c AS (` + sqlCommitCreate + `, i.created_at),
		a AS (INSERT INTO instance_attributes (instance_id, key, value, created_at)
			SELECT x.id, x.key, x.value, c.created_at
			FROM unnest($15::text[], $16::text[], $17::text[]) AS x(id, key, value) JOIN c ON c.id = x.id
			ON CONFLICT DO NOTHING)
		SELECT id, status FROM c`

	// sqlCommitLock locks the batch's instance rows in ID order (the order
	// InstanceHeartbeat locks them in) and returns what the fence compares.
	// $1 is sorted (Commit sorts it): the nested loop over its elements
	// looks each instance up by primary key and locks it in that order.
	// The lookup is a LATERAL subquery with its own locking clause, not a
	// join or "id = ANY($1)": the plan PostgreSQL caches for a prepared
	// statement is chosen once, often while the table is nearly empty, and
	// for those shapes it is a sequential scan, kept as the table grows;
	// a per-row lookup by key stays an index scan at any size (see
	// TestQueryPlans).
	sqlCommitLock = `SELECT i.id, i.status, i.lease_token
		FROM unnest($1::text[]) AS u(id)
		CROSS JOIN LATERAL (SELECT id, status, lease_token FROM instances WHERE id = u.id FOR NO KEY UPDATE) i`

	// sqlCommitWrite writes everything else of a round in one statement:
	// the steps, the attempts, the consumed events and the instance part
	// of each update whose lease token the locked instance holds (fenced).
	// fenced looks each instance up by primary key in a LATERAL subquery
	// (OFFSET 0 keeps it one: see sqlCommitLock) and checks the token as
	// the join's condition, which PostgreSQL estimates as selective, so the
	// UPDATE of instances below joins fenced by a nested loop on the key
	// in the cached plan too, not by a hash join over a scan of the table.
	// Its snapshot is taken after sqlCommitLock returned, so it sees every
	// transaction that held one of the rows before (EventSend's event
	// included). The data-modifying CTEs share that snapshot: the AwaitEvents
	// check therefore leaves out the events this statement consumes.
	//
	// A state change (u.status not NULL) applies only while the instance is
	// still running; an instance that starts waiting for event types of
	// which an unconsumed event exists is due at once. Attempts are
	// appended in the order given: the identity column numbers rows in the
	// order the sorted SELECT produces them. The steps' await column ($44)
	// and first attempt ($45-$47, store.FirstAttempt) come last, after the
	// webhook period, so the other numbers stay. A step's first attempt is
	// set once: a re-sent commit or a later write of the step keeps it.
	sqlCommitWrite = `WITH fenced AS MATERIALIZED (
		SELECT u.*, i.status AS current_status, i.custom_status AS prev_custom, i.workflow AS inst_workflow
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[],
			$7::bytea[], $8::text[], $9::timestamptz[], $10::text[], $11::bool[])
			AS u(id, token, now, set_custom, custom, status, output, error, wake, await, release)
		JOIN LATERAL (SELECT status, custom_status, workflow, lease_token FROM instances WHERE id = u.id OFFSET 0) i
			ON i.lease_token = u.token
	), written_steps AS (
		INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, output, error,
			attempts, next_attempt_at, wake_at, custom_status, has_compensation, compensation_data,
			compensation_status, compensation_error, compensation_attempts, compensation_next_at,
			started_at, finished_at, await, first_started_at, first_finished_at, first_error)
		SELECT s.instance_id, s.key, s.name, s.seq, s.ordinal, s.kind, s.status, s.output, s.error,
			s.attempts, s.next_attempt_at, s.wake_at, s.custom_status, s.has_compensation, s.compensation_data,
			s.compensation_status, s.compensation_error, s.compensation_attempts, s.compensation_next_at,
			s.started_at, s.finished_at, s.await, s.first_started_at, s.first_finished_at, s.first_error
		FROM unnest($12::text[], $13::text[], $14::text[], $15::int4[], $16::int4[], $17::text[],
			$18::text[], $19::bytea[], $20::text[], $21::int4[], $22::timestamptz[], $23::timestamptz[],
			$24::text[], $25::bool[], $26::bytea[], $27::text[], $28::text[], $29::int4[],
			$30::timestamptz[], $31::timestamptz[], $32::timestamptz[], $44::text[],
			$45::timestamptz[], $46::timestamptz[], $47::text[])
			AS s(instance_id, key, name, seq, ordinal, kind, status, output, error, attempts,
				next_attempt_at, wake_at, custom_status, has_compensation, compensation_data,
				compensation_status, compensation_error, compensation_attempts, compensation_next_at,
				started_at, finished_at, await, first_started_at, first_finished_at, first_error)
		JOIN fenced f ON f.id = s.instance_id
		ON CONFLICT (instance_id, key) DO UPDATE SET
			name = excluded.name, seq = excluded.seq, ordinal = excluded.ordinal, kind = excluded.kind,
			status = excluded.status, output = excluded.output, error = excluded.error,
			attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
			wake_at = excluded.wake_at, custom_status = excluded.custom_status,
			has_compensation = excluded.has_compensation, compensation_data = excluded.compensation_data,
			compensation_status = excluded.compensation_status, compensation_error = excluded.compensation_error,
			compensation_attempts = excluded.compensation_attempts,
			compensation_next_at = excluded.compensation_next_at,
			started_at = excluded.started_at, finished_at = excluded.finished_at, await = excluded.await,
			first_started_at = coalesce(steps.first_started_at, excluded.first_started_at),
			first_finished_at = CASE WHEN steps.first_started_at IS NULL THEN excluded.first_finished_at ELSE steps.first_finished_at END,
			first_error = CASE WHEN steps.first_started_at IS NULL THEN excluded.first_error ELSE steps.first_error END
	), written_attempts AS (
		INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at, error)
		SELECT a.instance_id, a.step_key, a.number, a.compensation, a.started_at, a.finished_at, a.error
		FROM unnest($33::text[], $34::text[], $35::int4[], $36::bool[], $37::timestamptz[],
			$38::timestamptz[], $39::text[]) WITH ORDINALITY
			AS a(instance_id, step_key, number, compensation, started_at, finished_at, error, n)
		JOIN fenced f ON f.id = a.instance_id
		ORDER BY a.n
		ON CONFLICT (instance_id, step_key, compensation, number) DO NOTHING
	), consumed AS (
		UPDATE events e SET consumed_by = c.step_key
		FROM unnest($40::text[], $41::int8[], $42::text[]) AS c(instance_id, event_id, step_key)
		JOIN fenced f ON f.id = c.instance_id
		WHERE e.id = c.event_id AND e.instance_id = c.instance_id
	), hooked AS (
		-- The webhook outbox (store.WebhookStore): a custom status change,
		-- then the end of the instance, for each webhook taking it. The
		-- EXISTS is a one-time filter: with no webhook, nothing runs.
		INSERT INTO webhook_deliveries (webhook_id, event, instance_id, workflow, status, custom_status,
			prev_custom, created_at, next_attempt_at, retry_until)
		SELECT w.id, c.event, f.id, f.inst_workflow,
			CASE WHEN f.status IS NOT NULL AND f.current_status = 'running' THEN f.status ELSE f.current_status END,
			CASE WHEN f.set_custom THEN f.custom ELSE f.prev_custom END,
			f.prev_custom, f.now, f.now, f.now + $43::int8 * interval '1 microsecond'
		FROM fenced f
		CROSS JOIN LATERAL (VALUES
			(1, CASE WHEN f.set_custom AND f.custom <> f.prev_custom THEN 'order.status_changed' END),
			(2, CASE WHEN f.status IN ('complete', 'errored', 'cancelled') AND f.current_status = 'running'
				THEN 'instance.' || f.status END)) AS c(n, event)
		JOIN webhooks w ON c.event = ANY (w.events)
		WHERE EXISTS (SELECT 1 FROM webhooks) AND c.event IS NOT NULL
		ORDER BY f.id, c.n, w.id
	), updated AS (
		UPDATE instances i SET
			updated_at = u.now,
			custom_status = CASE WHEN u.set_custom THEN u.custom ELSE i.custom_status END,
			status = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.status ELSE i.status END,
			output = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.output ELSE i.output END,
			error = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.error ELSE i.error END,
			wake_at = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN
					CASE WHEN u.status <> 'waiting' THEN NULL
					WHEN u.await IS NOT NULL AND EXISTS (SELECT 1 FROM events e
						WHERE e.instance_id = i.id AND e.consumed_by IS NULL
						AND (u.await::jsonb ? e.type OR EXISTS (SELECT 1 FROM jsonb_array_elements(u.await::jsonb) m
							WHERE jsonb_typeof(m) = 'object' AND m->>'type' = e.type
							AND ordo_payload_jsonb(e.payload) @> (m->'match')))
						AND e.id <> ALL(coalesce($41::int8[], '{}'))) THEN u.now
					ELSE u.wake END
				ELSE i.wake_at END,
			finished_at = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN
					CASE WHEN u.status IN ('complete', 'errored', 'cancelled') THEN u.now END
				ELSE i.finished_at END,
			rollback = CASE WHEN u.status IN ('complete', 'errored', 'cancelled') AND i.status = 'running' THEN NULL
				ELSE i.rollback END,
			lease_owner = CASE WHEN u.release THEN NULL ELSE i.lease_owner END,
			lease_token = CASE WHEN u.release THEN NULL ELSE i.lease_token END,
			lease_expires_at = CASE WHEN u.release THEN NULL ELSE i.lease_expires_at END
		FROM fenced u
		WHERE i.id = u.id
		RETURNING i.id, i.status
	)
	SELECT id, status FROM updated`
)
