package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

// A batch's step results (updates that carry journal records only) are
// written with multi-row statements: one fences and stamps many instances
// (UPDATE ... FROM VALUES ... RETURNING), one upserts many steps, one
// inserts many attempts. Each statement costs the single writer a fixed
// price whatever its rows, so a batch of step results from many instances
// pays it a few times, not three times per instance. Rows go in chunks of
// the sizes in rowChunks (a count's binary digits), so each statement is
// one of a few prepared once (writeQueries).

// rowChunks are the row counts of the multi-row statements, largest
// first; a chunk of one row runs the single-row statement.
var rowChunks = []int{64, 32, 16, 8, 4, 2}

// chunks cuts n rows into counts from rowChunks (and ones), largest first.
func chunks(n int) []int {
	var out []int
	for _, size := range append(rowChunks, 1) {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// valuesRows repeats a row of width placeholders n times.
func valuesRows(width, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// rowStatements builds a statement for each size in rowChunks.
func rowStatements(build func(n int) string) map[int]string {
	m := make(map[int]string, len(rowChunks))
	for _, n := range rowChunks {
		m[n] = build(n)
	}
	return m
}

var (
	// sqlJournalTouchRows is sqlJournalTouch[0] for many instances: rows
	// of (id, lease token, now); it returns the ID and status of each
	// instance whose token matched. INDEXED BY makes SQLite find each row
	// by its primary key, the VALUES rows outside: with statistics it would
	// otherwise walk instances_lease_token, every running instance, and
	// probe the rows (see TestQueryPlans).
	sqlJournalTouchRows = rowStatements(func(n int) string {
		return `UPDATE instances INDEXED BY sqlite_autoindex_instances_1 SET updated_at = v.column3 FROM (VALUES ` + valuesRows(3, n) + `) AS v
			WHERE instances.id = v.column1 AND instances.lease_token = v.column2
			RETURNING instances.id, instances.status`
	})
	// sqlStepUpsertRows is sqlStepUpsert for many steps.
	sqlStepUpsertRows = rowStatements(func(n int) string {
		return strings.Replace(sqlStepUpsert, valuesRows(stepWidth, 1), valuesRows(stepWidth, n), 1)
	})
	// sqlAttemptInsertRows is sqlAttemptInsert for many attempts.
	sqlAttemptInsertRows = rowStatements(func(n int) string {
		return strings.Replace(sqlAttemptInsert, valuesRows(7, 1), valuesRows(7, n), 1)
	})
)

// rowQueries lists the multi-row statements, for writeQueries.
func rowQueries() []string {
	var qs []string
	for _, m := range []map[int]string{sqlJournalTouchRows, sqlStepUpsertRows, sqlAttemptInsertRows} {
		for _, n := range rowChunks {
			qs = append(qs, m[n])
		}
	}
	return qs
}

// journalRow reports whether u can be written by writeJournalRows: it
// carries journal records only (steps and attempts), keeps its lease and
// consumes no events.
func journalRow(u *store.Update) bool {
	return u.Create == nil && u.State == nil && u.CustomStatus == nil && !u.Release &&
		len(u.ConsumeEvents) == 0 && len(u.Notify) == 0
}

// writeJournalRows writes, with multi-row statements, the updates of us
// that journalRow accepts and that are the first of their instance in the
// batch (so each instance's updates still apply in order), if there are
// at least two. It fills their results in out and reports which it wrote.
func (w *writeTx) writeJournalRows(us []*store.Update, out []store.UpdateResult) ([]bool, error) {
	var idx []int
	seen := make(map[string]bool, len(us))
	for i, u := range us {
		if !seen[u.InstanceID] && journalRow(u) {
			idx = append(idx, i)
		}
		seen[u.InstanceID] = true
	}
	if len(idx) < 2 {
		return nil, nil
	}
	status := make(map[string]string, len(idx))
	if err := w.touchRows(us, idx, status); err != nil {
		return nil, fmt.Errorf("fence: %w", err)
	}
	var steps, attempts [][]any
	written := make([]bool, len(us))
	for _, i := range idx {
		u := us[i]
		written[i] = true
		st, ok := status[u.InstanceID]
		if !ok {
			r, err := w.leaseLost(u.InstanceID)
			if err != nil {
				return nil, err
			}
			out[i] = r
			continue
		}
		out[i] = store.UpdateResult{Status: store.InstanceStatus(st)}
		for _, s := range u.Steps {
			args, err := stepArgs(u, s)
			if err != nil {
				return nil, fmt.Errorf("instance %q: %w", u.InstanceID, err)
			}
			steps = append(steps, args)
		}
		for j, a := range u.Attempts {
			if store.OnStepRow(u, &u.Attempts[j]) {
				continue
			}
			args, err := attemptArgs(u.InstanceID, a)
			if err != nil {
				return nil, fmt.Errorf("instance %q: %w", u.InstanceID, err)
			}
			attempts = append(attempts, args)
		}
	}
	if err := w.execRows(sqlStepUpsert, sqlStepUpsertRows, steps); err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	if err := w.execRows(sqlAttemptInsert, sqlAttemptInsertRows, attempts); err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	}
	return written, nil
}

// touchRows fences and stamps the updates us[idx] and records the status
// of each instance whose lease token matched.
func (w *writeTx) touchRows(us []*store.Update, idx []int, status map[string]string) error {
	for _, n := range chunks(len(idx)) {
		part := idx[:n]
		idx = idx[n:]
		if n == 1 {
			u := us[part[0]]
			var st string
			err := w.queryRow(sqlJournalTouch[0], micros(now(u.Now)), u.InstanceID, u.LeaseToken).Scan(&st)
			if err == nil {
				status[u.InstanceID] = st
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			continue
		}
		args := make([]any, 0, 3*n)
		for _, i := range part {
			u := us[i]
			args = append(args, u.InstanceID, u.LeaseToken, micros(now(u.Now)))
		}
		rows, err := w.query(sqlJournalTouchRows[n], args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, st string
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return err
			}
			status[id] = st
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// execRows runs single (one row) or the statements of many (sizes of
// rowChunks) over rows, in order.
func (w *writeTx) execRows(single string, many map[int]string, rows [][]any) error {
	for _, n := range chunks(len(rows)) {
		part := rows[:n]
		rows = rows[n:]
		q := single
		if n > 1 {
			q = many[n]
		}
		var args []any
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := w.exec(q, args...); err != nil {
			return err
		}
	}
	return nil
}
