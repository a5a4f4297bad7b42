package postgres

// The statements of a Commit. Each takes its rows as parallel arrays
// (unnest), so a batch of any size is one statement per kind, and each
// writes only for the updates whose lease token the instance still holds:
// the join on (id, lease_token) is the fence. sqlCommitLock has locked the
// instance rows first, so the token cannot change under the statements.
const (
	// sqlCommitCreate inserts the instances of the updates that create
	// one. A conflicting ID is skipped (ErrAlreadyExists), except that a
	// claimed create whose instance holds the very same lease token is the
	// retry of a create that committed but whose answer was lost: it counts
	// as created.
	sqlCommitCreate = `INSERT INTO instances AS i (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims)
		SELECT c.id, c.workflow, c.status, c.params, c.at, c.at, c.started, c.owner, c.token, c.until, c.claims
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::timestamptz[], $6::timestamptz[],
			$7::text[], $8::text[], $9::timestamptz[], $10::int4[])
			AS c(id, workflow, status, params, at, started, owner, token, until, claims)
		ON CONFLICT (id) DO UPDATE SET id = excluded.id
			WHERE i.lease_token IS NOT NULL AND i.lease_token = excluded.lease_token
		RETURNING i.id`

	// sqlCommitLock locks the batch's instance rows in ID order (the order
	// InstanceHeartbeat locks them in) and returns what the fence compares.
	sqlCommitLock = `SELECT id, status, lease_token FROM instances
		WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`

	sqlCommitSteps = `INSERT INTO steps (instance_id, key, name, seq, ordinal, kind, status, output, error,
			attempts, next_attempt_at, wake_at, custom_status, has_compensation, compensation_data,
			compensation_status, compensation_error, compensation_attempts, compensation_next_at,
			started_at, finished_at)
		SELECT s.instance_id, s.key, s.name, s.seq, s.ordinal, s.kind, s.status, s.output, s.error,
			s.attempts, s.next_attempt_at, s.wake_at, s.custom_status, s.has_compensation, s.compensation_data,
			s.compensation_status, s.compensation_error, s.compensation_attempts, s.compensation_next_at,
			s.started_at, s.finished_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], $7::text[],
			$8::text[], $9::bytea[], $10::text[], $11::int4[], $12::timestamptz[], $13::timestamptz[],
			$14::text[], $15::bool[], $16::bytea[], $17::text[], $18::text[], $19::int4[],
			$20::timestamptz[], $21::timestamptz[], $22::timestamptz[])
			AS s(instance_id, token, key, name, seq, ordinal, kind, status, output, error, attempts,
				next_attempt_at, wake_at, custom_status, has_compensation, compensation_data,
				compensation_status, compensation_error, compensation_attempts, compensation_next_at,
				started_at, finished_at)
		JOIN instances i ON i.id = s.instance_id AND i.lease_token = s.token
		ON CONFLICT (instance_id, key) DO UPDATE SET
			name = excluded.name, seq = excluded.seq, ordinal = excluded.ordinal, kind = excluded.kind,
			status = excluded.status, output = excluded.output, error = excluded.error,
			attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
			wake_at = excluded.wake_at, custom_status = excluded.custom_status,
			has_compensation = excluded.has_compensation, compensation_data = excluded.compensation_data,
			compensation_status = excluded.compensation_status, compensation_error = excluded.compensation_error,
			compensation_attempts = excluded.compensation_attempts,
			compensation_next_at = excluded.compensation_next_at,
			started_at = excluded.started_at, finished_at = excluded.finished_at`

	// sqlCommitAttempts appends attempts in the order given: the identity
	// column numbers rows in the order the sorted SELECT produces them.
	sqlCommitAttempts = `INSERT INTO attempts (instance_id, step_key, number, compensation, started_at, finished_at, error)
		SELECT a.instance_id, a.step_key, a.number, a.compensation, a.started_at, a.finished_at, a.error
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::bool[], $6::timestamptz[],
			$7::timestamptz[], $8::text[]) WITH ORDINALITY
			AS a(instance_id, token, step_key, number, compensation, started_at, finished_at, error, n)
		JOIN instances i ON i.id = a.instance_id AND i.lease_token = a.token
		ORDER BY a.n`

	// sqlCommitConsume marks events received; only the update's own
	// instance's events.
	sqlCommitConsume = `UPDATE events e SET consumed_by = c.step_key
		FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[]) AS c(instance_id, token, event_id, step_key)
		JOIN instances i ON i.id = c.instance_id AND i.lease_token = c.token
		WHERE e.id = c.event_id AND e.instance_id = c.instance_id`

	// sqlCommitInstances writes the instance part of each update. A state
	// change (u.status not NULL) applies only while the instance is still
	// running; an instance that starts waiting for event types of which an
	// unconsumed event exists is due at once. SET expressions read the row
	// as it was before this statement.
	sqlCommitInstances = `UPDATE instances i SET
			updated_at = u.now,
			custom_status = CASE WHEN u.set_custom THEN u.custom ELSE i.custom_status END,
			status = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.status ELSE i.status END,
			output = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.output ELSE i.output END,
			error = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN u.error ELSE i.error END,
			wake_at = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN
					CASE WHEN u.status <> 'waiting' THEN NULL
					WHEN u.await IS NOT NULL AND EXISTS (SELECT 1 FROM events e
						WHERE e.instance_id = i.id AND e.consumed_by IS NULL AND u.await::jsonb ? e.type) THEN u.now
					ELSE u.wake END
				ELSE i.wake_at END,
			finished_at = CASE WHEN u.status IS NOT NULL AND i.status = 'running' THEN
					CASE WHEN u.status IN ('complete', 'errored') THEN u.now END
				ELSE i.finished_at END,
			lease_owner = CASE WHEN u.release THEN NULL ELSE i.lease_owner END,
			lease_token = CASE WHEN u.release THEN NULL ELSE i.lease_token END,
			lease_expires_at = CASE WHEN u.release THEN NULL ELSE i.lease_expires_at END
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[],
			$7::bytea[], $8::text[], $9::timestamptz[], $10::text[], $11::bool[])
			AS u(id, token, now, set_custom, custom, status, output, error, wake, await, release)
		WHERE i.id = u.id AND i.lease_token = u.token
		RETURNING i.id, i.status`
)
