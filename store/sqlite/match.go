package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/ordohq/ordo/store"
)

// sqlMatchCandidates reads the unconsumed events of an instance whose type
// one of its matched waits names; the match itself is decided in Go
// (store.EventMatch.Matches), the rule every backend shares.
const sqlMatchCandidates = `SELECT type, payload FROM events WHERE instance_id = ? AND consumed_by IS NULL
	AND type IN (SELECT value FROM json_each(?))`

// matchedEventPending reports whether an unconsumed event of the instance
// satisfies one of ms (the AwaitMatch rule of store.StateChange).
func (w *writeTx) matchedEventPending(instanceID string, ms []store.EventMatch) (bool, error) {
	types := make([]string, 0, len(ms))
	for _, m := range ms {
		if err := store.ValidateMatch(m); err != nil {
			return false, err
		}
		types = append(types, m.Type)
	}
	b, err := json.Marshal(types)
	if err != nil {
		return false, err
	}
	rows, err := w.query(sqlMatchCandidates, instanceID, string(b))
	if err != nil {
		return false, fmt.Errorf("check matched events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var payload []byte
		if err := rows.Scan(&typ, &payload); err != nil {
			return false, fmt.Errorf("check matched events: %w", err)
		}
		if store.MatchesAny(ms, typ, payload) {
			return true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("check matched events: %w", err)
	}
	return false, nil
}
