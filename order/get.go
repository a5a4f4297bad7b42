package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// GetOrder returns an order with its status history, steps and files. An
// unknown ID (or the ID of an instance that is not an order) wraps
// ordo.ErrNotFound.
//
// An order whose stored document does not decode is returned with
// Unreadable set and only the fields its instance knows.
func (s *Service) GetOrder(ctx context.Context, id string) (*Order, error) {
	o, err := s.snapshot(ctx, id, "")
	var ue *unreadableError
	if errors.As(err, &ue) {
		return ue.order, nil
	}
	if err != nil || o.Run <= 1 {
		return o, err
	}
	runs, err := s.eng.Runs(ctx, id)
	if err != nil {
		return nil, err
	}
	o.Runs = runs
	o.StatusHistory = statusHistory(o.CreatedAt, o.Steps, runs, o.FlowVersion)
	return o, nil
}

// statusHistory is an order's status history across its runs: "Created",
// the statuses the steps of every run set, and one entry per restart, each
// marked with its run: a run's entries follow the restart that began it.
func statusHistory(created time.Time, live []*ordo.StepRecord, runs []*ordo.Run, version int) []StatusChange {
	type entry struct {
		StatusChange
		ordinal int
	}
	es := []entry{{StatusChange: StatusChange{Status: StatusCreated, At: created, Run: 1}, ordinal: -1}}
	add := func(steps []*ordo.StepRecord, before int) {
		for _, st := range steps {
			if st.Status == store.StepCompleted && st.CustomStatus != "" && st.FinishedAt != nil {
				es = append(es, entry{StatusChange: StatusChange{Status: st.CustomStatus, Step: st.Name, At: *st.FinishedAt,
					Run: executedIn(st.Key, runs[:before])}, ordinal: st.Ordinal})
			}
		}
	}
	add(live, len(runs))
	for i, r := range runs {
		add(r.Steps, i)
		status := r.Restart.CustomStatus
		if status == "" {
			status = StatusCreated
		}
		v := version
		if i+1 < len(runs) {
			if p, err := decodeParams(runs[i+1].Params); err == nil {
				v = p.Version
			}
		}
		rc := &RestartChange{FromStep: r.Restart.FromStep, FlowVersion: v, Redrive: r.Restart.Redrive,
			Actor: r.Restart.Actor, Reason: r.Restart.Reason}
		rc.Message = fmt.Sprintf("restarted: run %d from the beginning", r.Number+1)
		if rc.FromStep != "" {
			rc.Message = fmt.Sprintf("restarted: run %d from step %s", r.Number+1, rc.FromStep)
		}
		if rc.Redrive {
			rc.Message += fmt.Sprintf(" (redrive, flow version %d)", v)
		}
		es = append(es, entry{StatusChange: StatusChange{Status: status, At: r.EndedAt, Run: r.Number + 1, Restart: rc}, ordinal: -1})
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Run != b.Run {
			return a.Run < b.Run
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ordinal < b.ordinal
	})
	h := make([]StatusChange, len(es))
	for i, e := range es {
		h[i] = e.StatusChange
	}
	return h
}

// executedIn is the run a journal step ran in, given the restarts before
// the run whose journal held it: the run after the last restart that did
// not keep it (it did not exist yet, or ran again), else run 1.
func executedIn(key string, restarts []*ordo.Run) int {
	run := 1
	for _, r := range restarts {
		if !slices.Contains(r.Restart.Kept, key) {
			run = r.Number + 1
		}
	}
	return run
}

// unreadableError is the error of summary for an instance whose params
// are not an order document: order holds what is known, with Unreadable
// saying why.
type unreadableError struct{ order *Order }

func (e *unreadableError) Error() string { return e.order.Unreadable }

// snapshot builds the order from its instance and journal. The journal
// entry of skipKey (the step asking, while it runs) is left out, so that
// every attempt of a step sees, and sends, the same document.
func (s *Service) snapshot(ctx context.Context, id, skipKey string) (*Order, error) {
	inst, err := s.eng.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
		return nil, fmt.Errorf("%w: %q is an instance of %q, not an order", ordo.ErrNotFound, id, inst.Workflow)
	}
	o, p, err := summary(inst)
	if err != nil {
		return nil, err
	}
	def, err := s.definition(ctx, p.Flow, p.Version)
	if err != nil {
		return nil, err
	}
	steps := make([]*ordo.StepRecord, 0, len(inst.Steps))
	for _, st := range inst.Steps {
		if st.Key != skipKey {
			steps = append(steps, st)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Ordinal < steps[j].Ordinal })
	o.Steps = steps
	o.StatusHistory = []StatusChange{{Status: StatusCreated, At: inst.CreatedAt}}
	for _, st := range steps {
		if st.Status != store.StepCompleted {
			continue
		}
		if st.CustomStatus != "" && st.FinishedAt != nil {
			o.StatusHistory = append(o.StatusHistory, StatusChange{Status: st.CustomStatus, Step: st.Name, At: *st.FinishedAt})
		}
		if sd := def.Step(st.Name); sd != nil && sd.Type == flow.TypeGenerateProductionFiles {
			o.Files = mergeFiles(o.Files, st.Output)
		}
	}
	markCancelled(o, inst)
	return o, nil
}

// summary converts an instance (without its journal) into an order with the
// fields a list shows. An instance whose params do not decode as an order
// returns an *unreadableError.
func summary(inst *ordo.Instance) (*Order, *params, error) {
	status := inst.CustomStatus
	if status == "" {
		status = StatusCreated
	}
	o := &Order{
		ID: inst.ID, Flow: strings.TrimPrefix(inst.Workflow, workflowPrefix), Status: status,
		InstanceID: inst.ID, InstanceStatus: inst.Status, Error: inst.Error,
		CreatedAt: inst.CreatedAt, FinishedAt: inst.FinishedAt, Priority: inst.Priority,
	}
	if inst.Unreadable != "" {
		o.Unreadable = inst.Unreadable
		return nil, nil, &unreadableError{order: o}
	}
	p, err := decodeParams(inst.Params)
	if err != nil {
		o.Unreadable = fmt.Sprintf("order %q does not decode: %v", inst.ID, err)
		return nil, nil, &unreadableError{order: o}
	}
	o.Flow, o.FlowVersion, o.Customer, o.Items, o.Metadata = p.Flow, p.Version, p.Customer, p.Items, p.Metadata
	o.Run = inst.Run
	return o, p, nil
}

// mergeFiles adds the files recorded in a generate-production-files step's
// output; a file of the same name replaces the earlier one.
func mergeFiles(files []File, output json.RawMessage) []File {
	var out filesOutput
	if len(output) == 0 || json.Unmarshal(output, &out) != nil {
		return files
	}
	for _, f := range out.Files {
		replaced := false
		for i := range files {
			if files[i].Name == f.Name {
				files[i], replaced = f, true
			}
		}
		if !replaced {
			files = append(files, f)
		}
	}
	return files
}

// OrderPage is one page of orders, newest first. Its orders carry no
// steps, status history or files: get an order for those.
type OrderPage struct {
	Orders     []*Order `json:"orders"`
	NextCursor string   `json:"nextCursor,omitempty"`
}

// ListOrders returns orders newest first, filtered (see ListOptions) and
// paged. An order whose stored document does not decode is listed with
// its ID and Unreadable set rather than failing the page; a filter no
// listing can take is a *FilterError and a cursor that no page returned
// wraps ordo.ErrInvalidArgument.
func (s *Service) ListOrders(ctx context.Context, opts *ListOptions) (*OrderPage, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	lo, err := opts.instanceOptions()
	if err != nil {
		return nil, err
	}
	ip, err := s.eng.List(ctx, lo)
	var se *store.Error
	if errors.As(err, &se) && se.Field != "" {
		field := se.Field
		if f, ok := filterFields[field]; ok {
			field = f
		}
		msg, _ := strings.CutPrefix(se.Message, se.Field+": ")
		return nil, &FilterError{Field: field, Message: msg}
	}
	if err != nil {
		return nil, err
	}
	page := &OrderPage{Orders: make([]*Order, 0, len(ip.Instances)), NextCursor: ip.NextCursor}
	for _, inst := range ip.Instances {
		o, _, err := summary(inst)
		var ue *unreadableError
		if errors.As(err, &ue) {
			// One bad row does not fail the page: it is shown as
			// unreadable, with its ID.
			o, err = ue.order, nil
		}
		if err != nil {
			return nil, err
		}
		page.Orders = append(page.Orders, o)
	}
	return page, nil
}

// markCancelled marks the files of a cancelled order and adds its
// cancellation to the status history; Cancelling says a cancel was
// accepted and the compensations are still running.
func markCancelled(o *Order, inst *ordo.Instance) {
	if rb := inst.Rollback; rb != nil && rb.Status == ordo.StatusCancelled {
		o.Cancelling = true
	}
	if inst.Status != ordo.StatusCancelled {
		return
	}
	for i := range o.Files {
		o.Files[i].Cancelled = true
	}
	if inst.FinishedAt != nil {
		o.StatusHistory = append(o.StatusHistory, StatusChange{Status: o.Status, At: *inst.FinishedAt})
	}
}
