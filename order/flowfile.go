package order

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// FlowFileResult is what LoadFlowFile did with a flow file.
type FlowFileResult struct {
	*store.FlowLoadResult
	// Warnings are the flow's warnings (unreachable steps).
	Warnings []flow.Problem
}

// LoadFlowFile applies the flow file at path, whose content is data, as
// flow name the way ordo serve --flows does at start: only when the file's
// content (flow.Hash, so whitespace and key order do not count) changed
// since it was last loaded, so that a restart does not undo a version
// applied through the API. When the file did not change and the latest
// version, applied through the API, differs from it, that version is kept
// and a warning names both; override applies the file as a new version
// then. Every outcome is logged.
//
// An invalid document returns a *flow.ValidationError as ApplyFlow does.
func (s *Service) LoadFlowFile(ctx context.Context, name, path string, data []byte, override bool) (*FlowFileResult, error) {
	put, res, err := s.prepareFlow(name, data)
	if err != nil {
		return nil, err
	}
	put.Audit = ordo.ActionEntry(ctx, put.Now, store.ActionFlowApply)                               // written with a new version
	put.Audit.Reason = "loaded from the flow file " + strings.ToValidUTF8(filepath.Base(path), "?") // short, storable text
	lr, err := s.cfg.Store.FlowLoad(ctx, &store.FlowLoadParams{FlowPutParams: *put, Path: path, Override: override})
	if err != nil {
		return nil, fmt.Errorf("load flow %q from %s: %w", name, path, err)
	}
	if lr.Outcome == store.FlowLoadKept {
		// The latest version stays what new orders use; it was activated
		// from the store (RegisterStoredFlows) like any stored flow.
		if err := s.register(name); err != nil {
			return nil, err
		}
	} else if err := s.activate(lr.Version, res.Definition); err != nil {
		return nil, err
	}
	s.logFlowLoad(name, path, lr, override)
	return &FlowFileResult{FlowLoadResult: lr, Warnings: res.Warnings}, nil
}

// logFlowLoad says what a flow file's load did.
func (s *Service) logFlowLoad(name, path string, lr *store.FlowLoadResult, override bool) {
	v := lr.Version
	switch {
	case lr.Outcome == store.FlowLoadUnchanged:
		s.log.Info("order: flow file unchanged", "flow", name, "file", path, "version", v.Version)
	case lr.Outcome == store.FlowLoadKept:
		fileVersion := "never loaded"
		if lr.LastLoad != nil {
			fileVersion = fmt.Sprintf("version %d", lr.LastLoad.Version)
		}
		s.log.Warn("order: flow file not applied: the latest version came from elsewhere and differs; "+
			"pass --flows-override to apply the file",
			"flow", name, "file", path, "kept_version", v.Version, "kept_source", sourceName(v.Source),
			"file_version", fileVersion)
	case lr.Previous == nil:
		s.log.Info("order: flow applied from file", "flow", name, "file", path, "version", v.Version, "hash", v.Hash)
	case override && !store.IsFileSource(lr.Previous.Source):
		s.log.Warn("order: flow file applied over a version from elsewhere (--flows-override)",
			"flow", name, "file", path, "version", v.Version, "replaced_version", lr.Previous.Version,
			"replaced_source", sourceName(lr.Previous.Source))
	case !store.IsFileSource(lr.Previous.Source):
		s.log.Warn("order: flow file changed: applied over a version from elsewhere",
			"flow", name, "file", path, "version", v.Version, "replaced_version", lr.Previous.Version,
			"replaced_source", sourceName(lr.Previous.Source))
	default:
		s.log.Info("order: flow file changed: applied", "flow", name, "file", path, "version", v.Version,
			"previous_version", lr.Previous.Version, "hash", v.Hash)
	}
}

// sourceName is a version's source for people: "unknown" when it was
// stored before sources were recorded.
func sourceName(source string) string {
	if source == "" {
		return "unknown"
	}
	return source
}
