package store

import (
	"context"
	"encoding/json"
	"time"
)

// FlowStore is an optional capability of a backend: it keeps the versions
// of order flows (package flow). Discover it with a type assertion:
//
//	fs, ok := st.(store.FlowStore)
//
// Versions are immutable once written: an order keeps running on the
// version it started with while newer versions are applied.
type FlowStore interface {
	// FlowPut stores a flow's definition. When the latest version of the
	// flow has the same Hash, nothing is written: the latest version is
	// returned with created false. Otherwise a new version numbered one
	// more than the latest (1 for a new flow) is written and returned with
	// created true. Concurrent puts of the same name never produce the same
	// version number twice.
	FlowPut(ctx context.Context, p *FlowPutParams) (v *FlowVersion, created bool, err error)
	// FlowGet returns one version of a flow, or its latest when version is
	// 0. A flow or version that does not exist returns ErrNotFound.
	FlowGet(ctx context.Context, name string, version int) (*FlowVersion, error)
	// FlowList returns the latest version of every flow, sorted by name.
	FlowList(ctx context.Context) ([]*FlowVersion, error)
	// FlowVersions returns every version of a flow, oldest first, without
	// their Definition. A flow that does not exist returns ErrNotFound.
	FlowVersions(ctx context.Context, name string) ([]*FlowVersion, error)
	// FlowLoad applies the content of a flow file (ordo serve --flows) as
	// DecideFlowLoad says, given the flow's latest version and the file's
	// previous load, and records the load; the decision, the put and the
	// record share one transaction, so processes starting together agree.
	FlowLoad(ctx context.Context, p *FlowLoadParams) (*FlowLoadResult, error)
}

// FlowPutParams are the arguments of FlowStore.FlowPut.
type FlowPutParams struct {
	// Name is the flow's name. Required.
	Name string
	// Hash identifies the content (flow.Hash of the definition): equal
	// hashes mean equal flows. Required.
	Hash string
	// Definition is the flow's canonical JSON (flow.Canonical). Required.
	Definition json.RawMessage
	// Now is the creation time of a new version. Default: the wall clock.
	Now time.Time
	// Source says where the definition comes from, kept with a new
	// version: FlowSourceAPI or FileSource(path). Default: FlowSourceAPI.
	Source string
	// Audit, if set, is the audit-trail entry of the apply; a backend that
	// is an ActionStore writes it (completed by FlowApplied) in the
	// transaction that creates the version, and not at all when nothing
	// is created.
	Audit *Action
}

// FlowApplied returns the audit entry of a flow apply that created
// version v after the version prev (0 for a new flow): a's actor, time
// and reason, Action "flow.apply", Target "flow/<name>", Before
// {"version": prev} (none for a new flow) and After {"version", "hash", "source"}.
func FlowApplied(a *Action, prev int, v *FlowVersion) *Action {
	c := *a
	c.Action, c.Target = ActionFlowApply, "flow/"+v.Name
	if prev > 0 {
		c.Before, _ = json.Marshal(map[string]int{"version": prev})
	}
	c.After, _ = json.Marshal(map[string]any{"version": v.Version, "hash": v.Hash, "source": v.Source})
	return &c
}

// FlowVersion is one stored version of a flow.
type FlowVersion struct {
	Name string `json:"name"`
	// Version counts from 1 per name.
	Version int `json:"version"`
	// Hash is the content hash given to FlowPut.
	Hash string `json:"hash"`
	// Definition is the flow's canonical JSON.
	Definition json.RawMessage `json:"definition,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	// Source is where the version came from: FlowSourceAPI, FileSource(path),
	// or empty for versions stored before sources were recorded.
	Source string `json:"source,omitempty"`
}
