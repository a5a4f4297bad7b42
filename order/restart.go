package order

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// Params modes of a RestartRequest.
const (
	// ParamsReplace: RestartRequest.Params is the whole new order
	// document (customer, items, metadata).
	ParamsReplace = "replace"
	// ParamsMerge: RestartRequest.Params is a JSON merge patch (RFC 7386)
	// of the order document: a field set to null is removed, objects merge,
	// anything else (an items array) replaces.
	ParamsMerge = "merge"
)

// RestartRequest is the body of POST /v1/orders/{id}/restart and the
// argument of Service.RestartOrder. The zero value restarts the order's
// flow from the beginning on the version it runs, with the same document.
type RestartRequest struct {
	// FromStep is the stepDefinitionId to restart from: the steps before
	// it keep their results; "" restarts from the beginning.
	FromStep string `json:"fromStep,omitempty"`
	// FlowVersion moves the order to another version of its flow:
	// "latest", or a version number. Default: the version it runs. Every
	// step the restart keeps must exist in that version with the same id
	// and type, reached in the same order (else an
	// *IncompatibleVersionError).
	FlowVersion json.RawMessage `json:"flowVersion,omitempty"`
	// Params edits the order document (customer, items, metadata) as
	// ParamsMode says; the result is checked like a new order.
	Params json.RawMessage `json:"params,omitempty"`
	// ParamsMode is ParamsReplace (the default) or ParamsMerge.
	ParamsMode string `json:"paramsMode,omitempty"`
	// Reason is recorded with the restart (the run's record, the audit
	// trail).
	Reason string `json:"reason,omitempty"`
	// RerunCompensated allows a restart from a step after compensations
	// undid earlier steps: those steps run again.
	RerunCompensated bool `json:"rerunCompensated,omitempty"`
}

// document is the part of an order an operator may edit on a restart.
type document struct {
	Customer Customer       `json:"customer"`
	Items    []Item         `json:"items"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// VersionDifference is one reason a flow version cannot take over an
// order's run.
type VersionDifference struct {
	// Step is the kept step's stepDefinitionId.
	Step string `json:"step"`
	// Field is what differs: "stepDefinitionId" (the step is missing),
	// "type", or "path" (the version reaches another step there).
	Field   string `json:"field"`
	Message string `json:"message"`
	// Have is the value in the version the order runs, Want in the new one.
	Have string `json:"have,omitempty"`
	Want string `json:"want,omitempty"`
}

// IncompatibleVersionError is the error of a restart onto a flow version
// that lacks the steps the restart keeps. It wraps
// ordo.ErrInvalidTransition: the API answers 409 listing Differences.
type IncompatibleVersionError struct {
	Order       string
	Flow        string
	From, To    int
	Differences []VersionDifference
}

func (e *IncompatibleVersionError) Error() string {
	parts := make([]string, len(e.Differences))
	for i, d := range e.Differences {
		parts[i] = d.Message
	}
	return fmt.Sprintf("order %q cannot move from version %d to version %d of flow %q: %s",
		e.Order, e.From, e.To, e.Flow, strings.Join(parts, "; "))
}

// Unwrap returns ordo.ErrInvalidTransition.
func (e *IncompatibleVersionError) Unwrap() error { return ordo.ErrInvalidTransition }

// RestartOrder runs an order's flow again as a new run (the earlier run's
// steps and attempts are kept: Order.Runs), from the beginning or from a
// step, optionally on another version of its flow and with an edited
// document (a redrive, audited with the params before and after). After a
// restart from a step the order's status is the last kept step's. An
// invalid request is an *InvalidOrderError naming the field; a version
// that lacks a kept step, an *IncompatibleVersionError.
func (s *Service) RestartOrder(ctx context.Context, id string, req *RestartRequest) (*Order, error) {
	if req == nil {
		req = &RestartRequest{}
	}
	inst, err := s.eng.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
		return nil, fmt.Errorf("%w: %q is an instance of %q, not an order", ordo.ErrNotFound, id, inst.Workflow)
	}
	_, p, err := summary(inst)
	if err != nil {
		return nil, err
	}
	next := *p
	if next.Version, err = s.targetVersion(ctx, p, req.FlowVersion); err != nil {
		return nil, err
	}
	if err := s.editDocument(&next, req); err != nil {
		return nil, err
	}
	def, err := s.definition(ctx, next.Flow, next.Version)
	if err != nil {
		return nil, err
	}
	if next.Version != p.Version {
		old, err := s.definition(ctx, p.Flow, p.Version)
		if err != nil {
			return nil, err
		}
		if diffs := versionDifferences(kept(inst.Steps, req.FromStep), old, def); len(diffs) > 0 {
			return nil, &IncompatibleVersionError{Order: id, Flow: p.Flow, From: p.Version, To: next.Version, Differences: diffs}
		}
	}
	if err := s.checkEdited(id, &next, def); err != nil {
		return nil, err
	}
	if err := s.register(next.Flow); err != nil {
		return nil, err
	}
	opts := &ordo.RestartOptions{FromStep: req.FromStep, Reason: req.Reason, AllowCompensated: req.RerunCompensated}
	raw, err := json.Marshal(&next)
	if err != nil {
		return nil, fmt.Errorf("%w: encode order: %w", ordo.ErrInvalidArgument, err)
	}
	if !bytes.Equal(raw, inst.Params) {
		opts.Params = raw
	}
	if _, err := s.eng.Restart(ctx, id, opts); err != nil {
		return nil, err
	}
	if opts.Params != nil {
		// The search attributes follow the edited document and version.
		// They are replaced after the restart's transaction, so a failure
		// here leaves the order restarted and findable by its old values.
		if err := s.RefreshAttributes(ctx, id); err != nil {
			s.log.Error("order: refresh search attributes after a redrive", "order", id, "err", err)
		}
	}
	s.log.Info("order: restarted", "order", id, "fromStep", req.FromStep, "flow", next.Flow,
		"version", next.Version, "redrive", opts.Params != nil)
	return s.GetOrder(ctx, id)
}

// targetVersion reads RestartRequest.FlowVersion: the order's own version
// when unset, the latest for "latest", else a version number that exists.
func (s *Service) targetVersion(ctx context.Context, p *params, sel json.RawMessage) (int, error) {
	if len(bytes.TrimSpace(sel)) == 0 || string(bytes.TrimSpace(sel)) == "null" {
		return p.Version, nil
	}
	bad := &InvalidOrderError{Problems: []FieldProblem{{Field: "flowVersion",
		Message: fmt.Sprintf(`must be "latest" or a version number, got %.40s`, sel)}}}
	var text string
	if json.Unmarshal(sel, &text) == nil {
		if text != "latest" {
			n, err := strconv.Atoi(text)
			if err != nil {
				return 0, bad
			}
			return s.existingVersion(ctx, p.Flow, n, bad)
		}
		v, err := s.Flow(ctx, p.Flow, 0)
		if err != nil {
			return 0, err
		}
		return v.Version, nil
	}
	var n int
	if err := json.Unmarshal(sel, &n); err != nil {
		return 0, bad
	}
	return s.existingVersion(ctx, p.Flow, n, bad)
}

func (s *Service) existingVersion(ctx context.Context, name string, n int, bad error) (int, error) {
	if n < 1 {
		return 0, bad
	}
	if _, err := s.Flow(ctx, name, n); err != nil {
		return 0, err
	}
	return n, nil
}

// editDocument applies RestartRequest.Params to the order document of p.
func (s *Service) editDocument(p *params, req *RestartRequest) error {
	if len(req.Params) == 0 {
		if req.ParamsMode != "" && req.ParamsMode != ParamsMerge && req.ParamsMode != ParamsReplace {
			return badParamsMode(req.ParamsMode)
		}
		return nil
	}
	doc := document{Customer: p.Customer, Items: p.Items, Metadata: p.Metadata}
	var edited []byte
	switch req.ParamsMode {
	case "", ParamsReplace:
		edited = req.Params
	case ParamsMerge:
		cur, err := json.Marshal(&doc)
		if err != nil {
			return fmt.Errorf("encode order document: %w", err)
		}
		var target, patch any
		if err := decodeNumbers(cur, &target); err != nil {
			return fmt.Errorf("decode order document: %w", err)
		}
		if err := decodeNumbers(req.Params, &patch); err != nil {
			return &InvalidOrderError{Problems: []FieldProblem{{Field: "params", Message: "is not JSON: " + err.Error()}}}
		}
		if edited, err = json.Marshal(mergePatch(target, patch)); err != nil {
			return fmt.Errorf("encode merged order document: %w", err)
		}
	default:
		return badParamsMode(req.ParamsMode)
	}
	var out document
	if err := decodeStrict(edited, &out); err != nil {
		return &InvalidOrderError{Problems: []FieldProblem{{Field: "params",
			Message: "is not an order document (customer, items, metadata): " + err.Error()}}}
	}
	p.Customer, p.Items, p.Metadata = out.Customer, out.Items, out.Metadata
	return nil
}

func badParamsMode(mode string) error {
	return &InvalidOrderError{Problems: []FieldProblem{{Field: "paramsMode",
		Message: fmt.Sprintf("must be %q or %q, got %.40q", ParamsMerge, ParamsReplace, mode)}}}
}

func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// mergePatch applies an RFC 7386 JSON merge patch to target.
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = mergePatch(tm[k], v)
		}
	}
	return tm
}

// checkEdited checks an order document as CreateOrder checks a new one,
// against the flow version it will run.
func (s *Service) checkEdited(id string, p *params, def *flow.Definition) error {
	req := &CreateRequest{ID: id, Flow: p.Flow, Customer: p.Customer, Items: p.Items, Metadata: p.Metadata}
	costs, err := s.checkRequest(req)
	if err != nil {
		return err
	}
	var ps problems
	checkFiles(req, fileFormats(def), costs, s.cfg.Limits.MaxFileBytesPerOrder, s.eng.MaxPayloadBytes(), &ps)
	return ps.err()
}

// kept returns the journal steps a restart from step from keeps, in
// ordinal order: those before its first occurrence (none from the
// beginning, or for a step the journal lacks: the engine reports that).
func kept(steps []*ordo.StepRecord, from string) []*ordo.StepRecord {
	sorted := append([]*ordo.StepRecord(nil), steps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Ordinal < sorted[j].Ordinal })
	for i, st := range sorted {
		if from != "" && st.Name == from {
			return sorted[:i]
		}
	}
	return nil
}

// versionDifferences lists why version def cannot replay the kept steps
// of a run on version old: each must exist with the same type, and def
// must reach them in the same order (its first step, then each step's
// onSuccess, or onError for a step that failed).
func versionDifferences(keptSteps []*ordo.StepRecord, old, def *flow.Definition) []VersionDifference {
	var diffs []VersionDifference
	expect := def.First()
	for _, st := range keptSteps {
		was, now := old.Step(st.Name), def.Step(st.Name)
		switch {
		case now == nil:
			diffs = append(diffs, VersionDifference{Step: st.Name, Field: "stepDefinitionId",
				Message: fmt.Sprintf("step %q, which the restart keeps, is not in the new version", st.Name)})
		case was != nil && was.Type != now.Type:
			diffs = append(diffs, VersionDifference{Step: st.Name, Field: "type", Have: string(was.Type), Want: string(now.Type),
				Message: fmt.Sprintf("step %q is of type %q, in the new version %q", st.Name, was.Type, now.Type)})
		case expect == nil || expect.ID != st.Name:
			got := ""
			if expect != nil {
				got = expect.ID
			}
			diffs = append(diffs, VersionDifference{Step: st.Name, Field: "path", Have: st.Name, Want: got,
				Message: fmt.Sprintf("the new version does not reach step %q where the order ran it (it runs %q there)", st.Name, got)})
		}
		if now == nil {
			expect = nil
			continue
		}
		if st.Status == store.StepCompleted {
			expect = def.Step(now.OnSuccess)
		} else {
			expect = def.Step(now.OnError)
		}
	}
	return diffs
}
