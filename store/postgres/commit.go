package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// Commit applies updates in one transaction, sent to the server in one
// round trip: a pipeline of two or three set-based statements (see
// commit_sql.go) that ends in the implicit commit of the pipeline. Each update is fenced by its
// lease token: one whose token does not match is skipped and reported as
// store.ErrLeaseLost, the others apply. The returned error means nothing
// was applied.
//
// Updates of the same instance apply in order: the batch is cut into
// rounds in which each instance appears once, and the rounds run one after
// the other in the same transaction. Updates that only add distinct
// journal records to one instance are merged first
// (store.CoalesceUpdates).
func (s *Store) Commit(ctx context.Context, updates []*store.Update) ([]store.UpdateResult, error) {
	if err := store.ValidateUpdates(updates); err != nil {
		return nil, fmt.Errorf("postgres: commit: %w", err)
	}
	if len(updates) == 0 {
		return []store.UpdateResult{}, nil
	}
	for _, u := range updates {
		s.prefetch.drop(u.InstanceID)
	}
	// One round per instance where its parallel steps finished together,
	// not one round, a statement each, per step.
	given := updates
	updates, carrier := store.CoalesceUpdates(given)
	rounds := splitRounds(updates)
	b := &pgx.Batch{}
	b.Queue(sqlGenericPlans)
	if len(rounds) > 1 {
		// Lock every instance up front in ID order, so later rounds do
		// not take locks out of order.
		b.Queue(sqlCommitLock, distinctIDs(updates))
	}
	results := make([]store.UpdateResult, len(updates))
	plans := make([]*roundPlan, len(rounds))
	for r, idx := range rounds {
		p, err := newRoundPlan(updates, idx)
		if err != nil {
			return nil, fmt.Errorf("postgres: commit: %w", err)
		}
		plans[r] = p
		p.queue(b, results)
	}
	queueNotify(b, updates, s.channel)
	if notifies(updates) {
		b.Queue(sqlNotify, s.channel)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("postgres: commit of %d updates: %w", len(updates), err)
	}
	if err := s.existingStatus(ctx, updates, results); err != nil {
		return nil, fmt.Errorf("postgres: commit of %d updates: %w", len(updates), err)
	}
	out := make([]store.UpdateResult, len(given))
	for i := range given {
		out[i] = results[carrier[i]]
	}
	return out, nil
}

// existingStatus fills in the status of the instances that creates found
// already there. A create that carries nothing else is not locked with the
// batch (see newRoundPlan), so its statement cannot say; the rare conflict
// costs this read after the commit instead.
func (s *Store) existingStatus(ctx context.Context, updates []*store.Update, results []store.UpdateResult) error {
	var ids []string
	for i, r := range results {
		if errors.Is(r.Err, store.ErrAlreadyExists) && r.Status == "" {
			ids = append(ids, updates[i].InstanceID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, sqlInstanceStatuses, ids)
	if err != nil {
		return err
	}
	status := make(map[string]store.InstanceStatus, len(ids))
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			return err
		}
		status[id] = store.InstanceStatus(st)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, r := range results {
		if errors.Is(r.Err, store.ErrAlreadyExists) && r.Status == "" {
			results[i].Status = status[updates[i].InstanceID]
		}
	}
	return nil
}

// sqlInstanceStatuses reads the status of instances by ID (a per-row
// lookup by key: OFFSET 0 keeps it one, see sqlCommitWrite).
const sqlInstanceStatuses = `SELECT i.id, i.status FROM unnest($1::text[]) AS u(id)
	CROSS JOIN LATERAL (SELECT id, status FROM instances WHERE id = u.id OFFSET 0) i`

// splitRounds groups the indexes of updates so that each round holds each
// instance at most once, keeping the order of an instance's updates.
func splitRounds(updates []*store.Update) [][]int {
	seen := make(map[string]int, len(updates))
	var rounds [][]int
	for i, u := range updates {
		r := seen[u.InstanceID]
		seen[u.InstanceID] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	// In ID order, so that concurrent Commits creating the same IDs insert
	// them in one order and cannot deadlock.
	for _, idx := range rounds {
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(updates[a].InstanceID, updates[b].InstanceID) })
	}
	return rounds
}

func distinctIDs(updates []*store.Update) []string {
	ids := make([]string, 0, len(updates))
	for _, u := range updates {
		ids = append(ids, u.InstanceID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// notifies reports whether the batch makes work runnable that another
// process's idle worker should hear of: an instance created unclaimed, or
// handed back (queued, or released while running). Timers and events wake
// the worker that set them; they need no notification.
func notifies(updates []*store.Update) bool {
	for _, u := range updates {
		switch {
		case u.Create != nil && u.Create.Claim == nil,
			u.State != nil && u.State.Status == store.StatusQueued,
			u.State == nil && u.Release:
			return true
		}
	}
	return false
}

// roundPlan is one round of a Commit: the rows of each statement as
// parallel arrays, and how to turn the answers into results.
type roundPlan struct {
	updates []*store.Update
	idx     []int // the updates' positions in the batch

	creates createCols
	lockIDs []string
	steps   stepCols
	atts    attemptCols
	consume consumeCols
	inst    instanceUpdateCols

	created map[string]string // IDs sqlCommitCreate inserted, with their status
	fence   map[string]fenceRow
}

// fenceRow is an instance's row as sqlCommitLock locked it.
type fenceRow struct {
	status string
	token  *string
}

func newRoundPlan(updates []*store.Update, idx []int) (*roundPlan, error) {
	p := &roundPlan{updates: updates, idx: idx, created: map[string]string{}, fence: map[string]fenceRow{}}
	var creates, steps int
	for _, i := range idx {
		if updates[i].Create != nil {
			creates++
		}
		steps += len(updates[i].Steps)
	}
	p.creates.grow(creates)
	p.steps.grow(steps)
	p.inst.grow(len(idx))
	for _, i := range idx {
		u := updates[i]
		at := ts(now(u.Now))
		if u.Create != nil {
			p.creates.add(newCreateRow(u.Create, u.Now))
			if store.CreateOnly(u) {
				// Nothing to fence or write: the insert holds the new
				// row until the commit, and says what it created.
				continue
			}
		}
		p.lockIDs = append(p.lockIDs, u.InstanceID)
		if err := p.steps.add(u); err != nil {
			return nil, err
		}
		if err := p.atts.add(u); err != nil {
			return nil, err
		}
		p.consume.add(u)
		if err := p.inst.add(u, at); err != nil {
			return nil, err
		}
	}
	slices.Sort(p.lockIDs)
	return p, nil
}

// queue adds the round's statements to b; their callbacks fill results.
// A round of creates that carry nothing else is the create statement
// alone.
func (p *roundPlan) queue(b *pgx.Batch, results []store.UpdateResult) {
	if len(p.creates.id) > 0 {
		c := &p.creates
		q, args := sqlCommitCreate, []any{c.id, c.workflow, c.status, c.params, c.at, c.started, c.owner, c.token, c.until, c.claims, c.version,
			c.traceParent, c.traceState, c.priority}
		if len(c.attrID) > 0 {
			q, args = sqlCommitCreateAttrs, append(args, c.attrID, c.attrKey, c.attrValue)
		}
		b.Queue(q, args...).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var id, status string
					if err := rows.Scan(&id, &status); err != nil {
						return err
					}
					p.created[id] = status
				}
				if err := rows.Err(); err != nil {
					return err
				}
				if len(p.lockIDs) == 0 {
					p.fill(results)
				}
				return nil
			})
	}
	if len(p.lockIDs) == 0 {
		return
	}
	b.Queue(sqlCommitLock, p.lockIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				id string
				f  fenceRow
			)
			if err := rows.Scan(&id, &f.status, &f.token); err != nil {
				return err
			}
			p.fence[id] = f
		}
		if err := rows.Err(); err != nil {
			return err
		}
		p.fill(results)
		return nil
	})
	in := &p.inst
	b.Queue(sqlCommitWrite, p.writeArgs()...).
		Query(func(rows pgx.Rows) error {
			after := make(map[string]store.InstanceStatus, len(in.id))
			for rows.Next() {
				var id, status string
				if err := rows.Scan(&id, &status); err != nil {
					return err
				}
				after[id] = store.InstanceStatus(status)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, i := range p.idx {
				if st, ok := after[p.updates[i].InstanceID]; ok && results[i].Err == nil {
					results[i].Status = st
				}
			}
			return nil
		})
}

// writeArgs are the arguments of sqlCommitWrite for the round.
func (p *roundPlan) writeArgs() []any {
	st, a, c, in := &p.steps, &p.atts, &p.consume, &p.inst
	return []any{in.id, in.token, in.now, in.setCustom, in.custom, in.status, in.output, in.error, in.wake, in.await, in.release,
		st.instanceID, st.key, st.name, st.seq, st.ordinal, st.kind, st.status, st.output, st.error, st.attempts,
		st.nextAttemptAt, st.wakeAt, st.customStatus, st.hasComp, st.compData, st.compStatus, st.compError,
		st.compAttempts, st.compNextAt, st.startedAt, st.finishedAt,
		a.instanceID, a.stepKey, a.number, a.compensation, a.startedAt, a.finishedAt, a.error,
		c.instanceID, c.eventID, c.stepKey, store.WebhookRetryPeriod.Microseconds(), st.await,
		st.firstStarted, st.firstFinished, st.firstError}
}

// fill sets each update's result from the create and fence answers; the
// status of applied updates is filled in later from sqlCommitInstances.
func (p *roundPlan) fill(results []store.UpdateResult) {
	for _, i := range p.idx {
		u := p.updates[i]
		f, exists := p.fence[u.InstanceID]
		created, isCreated := p.created[u.InstanceID]
		switch {
		case u.Create != nil && !isCreated:
			// createOnly: the status is read after the commit
			// (existingStatus).
			results[i] = store.UpdateResult{Err: store.ErrAlreadyExists, Status: store.InstanceStatus(f.status)}
		case store.CreateOnly(u):
			results[i] = store.UpdateResult{Status: store.InstanceStatus(created)}
		case !exists:
			results[i] = store.UpdateResult{Err: store.ErrLeaseLost}
		case u.LeaseToken == "" || f.token == nil || *f.token != u.LeaseToken:
			results[i] = store.UpdateResult{Err: store.ErrLeaseLost, Status: store.InstanceStatus(f.status)}
		default:
			results[i] = store.UpdateResult{Status: store.InstanceStatus(f.status)}
		}
	}
}

// createCols are the rows of sqlCommitCreate.
type createCols struct {
	id, workflow, status []string
	params               [][]byte
	at                   []time.Time
	started, until       []*time.Time
	owner, token         []*string
	claims               []int32
	version              []string
	traceParent          []*string
	traceState           []*string
	priority             []int32
	// the search attributes of the creates, one row each
	attrID, attrKey, attrValue []string
}

// grow makes room for n more creates (their attributes grow as added).
func (c *createCols) grow(n int) {
	c.id, c.workflow, c.status = slices.Grow(c.id, n), slices.Grow(c.workflow, n), slices.Grow(c.status, n)
	c.params, c.at = slices.Grow(c.params, n), slices.Grow(c.at, n)
	c.started, c.until = slices.Grow(c.started, n), slices.Grow(c.until, n)
	c.owner, c.token, c.claims = slices.Grow(c.owner, n), slices.Grow(c.token, n), slices.Grow(c.claims, n)
	c.version, c.traceParent = slices.Grow(c.version, n), slices.Grow(c.traceParent, n)
	c.traceState, c.priority = slices.Grow(c.traceState, n), slices.Grow(c.priority, n)
}

func (c *createCols) add(r createRow) {
	for _, a := range r.attrs {
		c.attrID, c.attrKey, c.attrValue = append(c.attrID, r.id), append(c.attrKey, a.Key), append(c.attrValue, a.Value)
	}
	c.id = append(c.id, r.id)
	c.workflow = append(c.workflow, r.workflow)
	c.status = append(c.status, r.status)
	c.params = append(c.params, r.params)
	c.at = append(c.at, r.at)
	c.started = append(c.started, r.started)
	c.until = append(c.until, r.until)
	c.owner = append(c.owner, r.owner)
	c.token = append(c.token, r.token)
	c.claims = append(c.claims, r.claims)
	c.version = append(c.version, r.version)
	c.traceParent = append(c.traceParent, r.traceParent)
	c.traceState = append(c.traceState, r.traceState)
	c.priority = append(c.priority, r.priority)
}

// stepCols are the rows of sqlCommitSteps.
type stepCols struct {
	instanceID, key, name, kind, status, customStatus, compStatus []string
	seq, ordinal, attempts, compAttempts                          []int32
	output, compData                                              [][]byte
	error, compError, await, firstError                           []*string
	nextAttemptAt, wakeAt, compNextAt, finishedAt                 []*time.Time
	firstStarted, firstFinished                                   []*time.Time
	startedAt                                                     []time.Time
	hasComp                                                       []bool
}

// grow makes room for n more steps.
func (c *stepCols) grow(n int) {
	c.instanceID, c.key, c.name = slices.Grow(c.instanceID, n), slices.Grow(c.key, n), slices.Grow(c.name, n)
	c.kind, c.status, c.customStatus = slices.Grow(c.kind, n), slices.Grow(c.status, n), slices.Grow(c.customStatus, n)
	c.compStatus, c.seq, c.ordinal = slices.Grow(c.compStatus, n), slices.Grow(c.seq, n), slices.Grow(c.ordinal, n)
	c.attempts, c.compAttempts = slices.Grow(c.attempts, n), slices.Grow(c.compAttempts, n)
	c.output, c.compData = slices.Grow(c.output, n), slices.Grow(c.compData, n)
	c.error, c.compError, c.await = slices.Grow(c.error, n), slices.Grow(c.compError, n), slices.Grow(c.await, n)
	c.firstError, c.firstStarted, c.firstFinished = slices.Grow(c.firstError, n), slices.Grow(c.firstStarted, n), slices.Grow(c.firstFinished, n)
	c.nextAttemptAt, c.wakeAt = slices.Grow(c.nextAttemptAt, n), slices.Grow(c.wakeAt, n)
	c.compNextAt, c.finishedAt = slices.Grow(c.compNextAt, n), slices.Grow(c.finishedAt, n)
	c.startedAt, c.hasComp = slices.Grow(c.startedAt, n), slices.Grow(c.hasComp, n)
}

// add appends u's steps; of several with one key, the last wins, as if
// they were upserted one after the other.
func (c *stepCols) add(u *store.Update) error {
	for i, st := range u.Steps {
		if slices.ContainsFunc(u.Steps[i+1:], func(later *store.Step) bool { return later.Key == st.Key }) {
			continue
		}
		errJSON, err := errorArg(st.Error)
		if err != nil {
			return fmt.Errorf("instance %q step %q: %w", u.InstanceID, st.Key, err)
		}
		compErr, err := errorArg(st.CompensationError)
		if err != nil {
			return fmt.Errorf("instance %q step %q: %w", u.InstanceID, st.Key, err)
		}
		await, err := awaitArg(st.Await)
		if err != nil {
			return fmt.Errorf("instance %q step %q: %w", u.InstanceID, st.Key, err)
		}
		c.instanceID = append(c.instanceID, u.InstanceID)
		c.key = append(c.key, st.Key)
		c.name = append(c.name, st.Name)
		c.seq = append(c.seq, int32(st.Seq))
		c.ordinal = append(c.ordinal, int32(st.Ordinal))
		c.kind = append(c.kind, string(st.Kind))
		c.status = append(c.status, string(st.Status))
		c.output = append(c.output, rawArg(st.Output))
		c.error = append(c.error, errJSON)
		c.attempts = append(c.attempts, int32(st.Attempts))
		c.nextAttemptAt = append(c.nextAttemptAt, tsPtr(st.NextAttemptAt))
		c.wakeAt = append(c.wakeAt, tsPtr(st.WakeAt))
		c.customStatus = append(c.customStatus, st.CustomStatus)
		c.hasComp = append(c.hasComp, st.HasCompensation)
		c.compData = append(c.compData, rawArg(st.CompensationData))
		c.compStatus = append(c.compStatus, string(st.CompensationStatus))
		c.compError = append(c.compError, compErr)
		c.compAttempts = append(c.compAttempts, int32(st.CompensationAttempts))
		c.compNextAt = append(c.compNextAt, tsPtr(st.CompensationNextAt))
		c.startedAt = append(c.startedAt, ts(st.StartedAt))
		c.finishedAt = append(c.finishedAt, tsPtr(st.FinishedAt))
		c.await = append(c.await, await)
		var firstStarted, firstFinished *time.Time
		var firstErr *string
		if a := store.FirstAttempt(u, st.Key); a != nil {
			if firstErr, err = errorArg(a.Error); err != nil {
				return fmt.Errorf("instance %q attempt of step %q: %w", u.InstanceID, st.Key, err)
			}
			s, f := ts(a.StartedAt), ts(a.FinishedAt)
			firstStarted, firstFinished = &s, &f
		}
		c.firstStarted = append(c.firstStarted, firstStarted)
		c.firstFinished = append(c.firstFinished, firstFinished)
		c.firstError = append(c.firstError, firstErr)
	}
	return nil
}

// attemptCols are the rows of sqlCommitAttempts.
type attemptCols struct {
	instanceID, stepKey   []string
	number                []int32
	compensation          []bool
	startedAt, finishedAt []time.Time
	error                 []*string
}

func (c *attemptCols) add(u *store.Update) error {
	for i, a := range u.Attempts {
		if store.OnStepRow(u, &u.Attempts[i]) {
			continue
		}
		errJSON, err := errorArg(a.Attempt.Error)
		if err != nil {
			return fmt.Errorf("instance %q attempt of step %q: %w", u.InstanceID, a.StepKey, err)
		}
		c.instanceID = append(c.instanceID, u.InstanceID)
		c.stepKey = append(c.stepKey, a.StepKey)
		c.number = append(c.number, int32(a.Attempt.Number))
		c.compensation = append(c.compensation, a.Attempt.Compensation)
		c.startedAt = append(c.startedAt, ts(a.Attempt.StartedAt))
		c.finishedAt = append(c.finishedAt, ts(a.Attempt.FinishedAt))
		c.error = append(c.error, errJSON)
	}
	return nil
}

// consumeCols are the rows of sqlCommitConsume.
type consumeCols struct {
	instanceID, stepKey []string
	eventID             []int64
}

func (c *consumeCols) add(u *store.Update) {
	for _, e := range u.ConsumeEvents {
		c.instanceID = append(c.instanceID, u.InstanceID)
		c.eventID = append(c.eventID, e.EventID)
		c.stepKey = append(c.stepKey, e.StepKey)
	}
}

// instanceUpdateCols are the rows of sqlCommitInstances; a NULL status means no
// state change, a NULL await no awaited events.
type instanceUpdateCols struct {
	id, token            []string
	now                  []time.Time
	setCustom, release   []bool
	custom               []string
	status, error, await []*string
	output               [][]byte
	wake                 []*time.Time
}

// grow makes room for n more updates.
func (c *instanceUpdateCols) grow(n int) {
	c.id, c.token, c.now = slices.Grow(c.id, n), slices.Grow(c.token, n), slices.Grow(c.now, n)
	c.setCustom, c.release, c.custom = slices.Grow(c.setCustom, n), slices.Grow(c.release, n), slices.Grow(c.custom, n)
	c.status, c.error, c.await = slices.Grow(c.status, n), slices.Grow(c.error, n), slices.Grow(c.await, n)
	c.output, c.wake = slices.Grow(c.output, n), slices.Grow(c.wake, n)
}

func (c *instanceUpdateCols) add(u *store.Update, at time.Time) error {
	var (
		status, errJSON, await *string
		output                 []byte
		wake                   *time.Time
		custom                 string
	)
	if u.CustomStatus != nil {
		custom = *u.CustomStatus
	}
	if sc := u.State; sc != nil {
		st := string(sc.Status)
		status = &st
		var err error
		if errJSON, err = errorArg(sc.Error); err != nil {
			return fmt.Errorf("instance %q: %w", u.InstanceID, err)
		}
		output = rawArg(sc.Output)
		wake = tsPtr(sc.WakeAt)
		if len(sc.AwaitEvents) > 0 || len(sc.AwaitMatch) > 0 {
			// Types as strings, matches as objects: the SQL's awaited-event
			// rule reads both (store.EncodeAwait).
			s, err := store.EncodeAwait(sc.AwaitEvents, sc.AwaitMatch)
			if err != nil {
				return fmt.Errorf("instance %q: await events: %w", u.InstanceID, err)
			}
			await = &s
		}
	}
	c.id = append(c.id, u.InstanceID)
	c.token = append(c.token, u.LeaseToken)
	c.now = append(c.now, at)
	c.setCustom = append(c.setCustom, u.CustomStatus != nil)
	c.custom = append(c.custom, custom)
	c.status = append(c.status, status)
	c.output = append(c.output, output)
	c.error = append(c.error, errJSON)
	c.wake = append(c.wake, wake)
	c.await = append(c.await, await)
	c.release = append(c.release, u.Release)
	return nil
}
