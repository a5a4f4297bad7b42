package ui

import (
	"context"
	"sync"

	"github.com/ordohq/ordo/flow"
)

// maxCachedFlows bounds the parsed flow versions the dashboard keeps; past
// it the cache starts again empty.
const maxCachedFlows = 256

// flowCache keeps parsed flow versions, which never change once applied.
type flowCache struct {
	mu   sync.Mutex
	defs map[flowVersionKey]*flow.Definition
}

type flowVersionKey struct {
	name    string
	version int
}

// flowDefs reads flow versions for one request, through the handler's
// cache.
type flowDefs struct {
	ctx context.Context
	h   *handler
}

func (h *handler) flowDefs(ctx context.Context) flowDefs { return flowDefs{ctx: ctx, h: h} }

// get returns a flow version parsed, or nil when it cannot be read (the
// status badges then go by the instance and journal alone).
func (d flowDefs) get(name string, version int) *flow.Definition {
	if name == "" || version < 1 {
		return nil
	}
	c, key := &d.h.flows, flowVersionKey{name, version}
	c.mu.Lock()
	def, ok := c.defs[key]
	c.mu.Unlock()
	if ok {
		return def
	}
	v, err := d.h.cfg.Orders.Flow(d.ctx, name, version)
	if err != nil {
		return nil
	}
	// Templates were checked when the version was applied.
	res, err := flow.ParseWith(v.Definition, &flow.ParseOptions{SkipTemplateChecks: true})
	if err != nil {
		d.h.log.Warn("ordo ui: stored flow version does not parse", "flow", name, "version", version, "err", err)
		return nil
	}
	c.mu.Lock()
	if c.defs == nil || len(c.defs) >= maxCachedFlows {
		c.defs = map[flowVersionKey]*flow.Definition{}
	}
	c.defs[key] = res.Definition
	c.mu.Unlock()
	return res.Definition
}
