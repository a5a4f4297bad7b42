package memory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ordohq/ordo/store"
)

var _ store.ParamCountStore = (*Store)(nil)

// InstanceCountByParam counts the instances of workflow by the value of
// params[field].
func (s *Store) InstanceCountByParam(ctx context.Context, workflow, field string) (map[string]int, error) {
	if err := store.CheckParamField(field); err != nil {
		return nil, fmt.Errorf("memory: count by param: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: count by param: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, x := range s.instances {
		if x.in.Workflow != workflow {
			continue
		}
		var p map[string]json.RawMessage
		_ = json.Unmarshal(x.in.Params, &p) // params of other shapes count as missing
		out[rawText(p[field])]++
	}
	return out, nil
}

// rawText is a JSON value's text as the SQL backends give it: a string
// unquoted, "" for none or null, other values as written.
func rawText(raw json.RawMessage) string {
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case json.Unmarshal(raw, &s) == nil:
		return s
	}
	return string(raw)
}
