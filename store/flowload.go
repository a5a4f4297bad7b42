package store

import (
	"errors"
	"fmt"
	"strings"
)

// FlowSourceAPI is the Source of a flow version applied through the API
// (PUT /v1/flows/{name}, ordo flows apply).
const FlowSourceAPI = "api"

// FileSource is the Source of a flow version loaded from the file at path
// by ordo serve --flows: "file:" and the path.
func FileSource(path string) string { return "file:" + path }

// IsFileSource reports whether source names a flow file (FileSource).
func IsFileSource(source string) bool { return strings.HasPrefix(source, "file:") }

// FlowSourceOrDefault returns source, or FlowSourceAPI when it is empty.
func FlowSourceOrDefault(source string) string {
	if source == "" {
		return FlowSourceAPI
	}
	return source
}

// FlowFile is the last load of a flow from a file: which file, the content
// hash it had and the version that was then the latest.
type FlowFile struct {
	// Name is the flow's name.
	Name string `json:"name"`
	// Path is the file's path as ordo serve was given it.
	Path string `json:"path"`
	// Hash is the flow.Hash of the file's content at that load.
	Hash string `json:"hash"`
	// Version is the flow's latest version after that load.
	Version int `json:"version"`
}

// FlowLoadParams are the arguments of FlowStore.FlowLoad.
type FlowLoadParams struct {
	// Name, Hash, Definition and Now are as in FlowPutParams; Source is
	// set to FileSource(Path).
	FlowPutParams
	// Path is the file's path. Required.
	Path string
	// Override applies the file as a new version even when it did not
	// change since its last load and the latest version came from
	// elsewhere (ordo serve --flows-override).
	Override bool
}

// FlowLoadOutcome is what a FlowLoad did.
type FlowLoadOutcome string

const (
	// FlowLoadCreated: the file's content became a new version.
	FlowLoadCreated FlowLoadOutcome = "created"
	// FlowLoadUnchanged: the latest version already has the file's content.
	FlowLoadUnchanged FlowLoadOutcome = "unchanged"
	// FlowLoadKept: the file did not change since it was last loaded (or
	// was never loaded) and the latest version, which came from elsewhere
	// (the API), differs from it: the latest version was kept.
	FlowLoadKept FlowLoadOutcome = "kept"
)

// FlowLoadResult is the answer of FlowStore.FlowLoad.
type FlowLoadResult struct {
	Outcome FlowLoadOutcome
	// Version is the flow's latest version after the load: the new one
	// when Outcome is FlowLoadCreated.
	Version *FlowVersion
	// Previous is the latest version before the load, nil for a new flow.
	Previous *FlowVersion
	// LastLoad is the file's previous load, nil when it was never loaded.
	LastLoad *FlowFile
}

// DecideFlowLoad is the rule of FlowStore.FlowLoad, which every backend
// applies inside its transaction. latest is the flow's latest version
// (nil for a new flow), last the previous load of its file (nil if none),
// hash the file's content hash now:
//
//   - no version yet: create;
//   - the latest version has the file's content: unchanged;
//   - the file changed since its last load, or override: create;
//   - otherwise (the file is as last loaded, or was never loaded, and the
//     latest version came from elsewhere and differs): keep the latest.
//
// A file that was never loaded while the flow already exists is kept
// rather than applied, so that the first start after an upgrade cannot
// undo a version applied through the API either.
func DecideFlowLoad(latest *FlowVersion, last *FlowFile, hash string, override bool) FlowLoadOutcome {
	switch {
	case latest == nil:
		return FlowLoadCreated
	case latest.Hash == hash:
		return FlowLoadUnchanged
	case override, last != nil && last.Hash != hash:
		return FlowLoadCreated
	default:
		return FlowLoadKept
	}
}

// PrepareFlowPut checks the required fields of a FlowPut and returns a
// copy with its Audit entry prepared (PrepareAttached). A backend calls it
// before its transaction begins and writes the copy's Audit, completed by
// FlowApplied, with the version it creates.
func PrepareFlowPut(p *FlowPutParams) (*FlowPutParams, error) {
	if p == nil || p.Name == "" || p.Hash == "" || len(p.Definition) == 0 {
		return nil, errors.New("flow put: Name, Hash and Definition are required")
	}
	c := *p
	audit, err := PrepareAttached(p.Audit)
	if err != nil {
		return nil, fmt.Errorf("flow put %q: %w", p.Name, err)
	}
	c.Audit = audit
	return &c, nil
}

// PrepareFlowLoad is PrepareFlowPut for a FlowLoad, which also needs Path.
func PrepareFlowLoad(p *FlowLoadParams) (*FlowLoadParams, error) {
	if p == nil || p.Path == "" {
		return nil, errors.New("flow load: Path is required")
	}
	put, err := PrepareFlowPut(&p.FlowPutParams)
	if err != nil {
		return nil, fmt.Errorf("flow load: %w", err)
	}
	c := *p
	c.FlowPutParams = *put
	return &c, nil
}

// FlowLoadTx is what a backend gives RunFlowLoad inside its transaction.
type FlowLoadTx struct {
	// Latest is the flow's latest version, nil when it has none.
	Latest *FlowVersion
	// LastLoad is the previous load of the flow's file, nil if none.
	LastLoad *FlowFile
	// Insert writes the version after Latest with the put's content.
	Insert func(p *FlowPutParams) (*FlowVersion, error)
	// Record writes f as the flow's last load from a file.
	Record func(f FlowFile) error
}

// RunFlowLoad carries out FlowStore.FlowLoad in a backend's transaction:
// it decides with DecideFlowLoad, writes the new version when the file is
// applied, and records the load unless the latest version was kept (then
// the file still differs from it at the next start too).
func RunFlowLoad(p *FlowLoadParams, tx FlowLoadTx) (*FlowLoadResult, error) {
	res := &FlowLoadResult{Previous: tx.Latest, Version: tx.Latest, LastLoad: tx.LastLoad}
	res.Outcome = DecideFlowLoad(tx.Latest, tx.LastLoad, p.Hash, p.Override)
	if res.Outcome == FlowLoadKept {
		return res, nil
	}
	if res.Outcome == FlowLoadCreated {
		put := p.FlowPutParams
		put.Source = FileSource(p.Path)
		v, err := tx.Insert(&put)
		if err != nil {
			return nil, err
		}
		res.Version = v
	}
	if err := tx.Record(FlowFile{Name: p.Name, Path: p.Path, Hash: p.Hash, Version: res.Version.Version}); err != nil {
		return nil, err
	}
	return res, nil
}
