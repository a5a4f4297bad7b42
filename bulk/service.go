package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

// WorkflowName is the reserved workflow of bulk jobs.
const WorkflowName = "ordo/bulk"

// ActionStart is the audit-trail action of a job's start; its InstanceID
// is the job's, its Target "bulk/<id>", its After the job's action,
// source, filter, fromStep and total.
const ActionStart = "bulk.start"

// Defaults of Config.
const (
	DefaultMaxInstances = 100_000
	DefaultPageSize     = 200
	// SampleSize is how many instances a dry run shows.
	SampleSize = 20
	// maxReasonBytes bounds a job's reason.
	maxReasonBytes = 1024
)

// ErrTooMany is returned (wrapped in a *TooManyError) by Start when the
// filter selects more instances than Config.MaxInstances.
var ErrTooMany = errors.New("bulk: too many instances")

// TooManyError says the filter selects more than Max instances.
type TooManyError struct{ Max int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("the filter selects more than %d instances, the most one bulk job may act on: narrow the filter (a status, a flow, a time range) and run several jobs", e.Max)
}

// Is reports whether target is ErrTooMany.
func (e *TooManyError) Is(target error) bool { return target == ErrTooMany }

// Config configures a Service.
type Config struct {
	// Engine runs the jobs and applies their actions. Required.
	Engine *ordo.Engine
	// Orders, if set, makes orders a source (SourceOrders: filters of the
	// order listing). Default nil: instances only.
	Orders *order.Service
	// MaxInstances is the most instances one job may act on; Start
	// refuses a filter that selects more. Default DefaultMaxInstances.
	MaxInstances int
	// PageSize is how many instances one durable step acts on. Default
	// DefaultPageSize.
	PageSize int
	// Concurrency is how many actions of a page run at once. Default 1:
	// SQLite takes one write at a time; PostgreSQL gains from a few.
	Concurrency int
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// Service starts bulk jobs and reports on them. New registers their
// workflow on the engine: every process that runs the engine's instances
// needs a Service, so that any of them can carry a job on.
type Service struct {
	cfg     Config
	eng     *ordo.Engine
	res     *ordo.Reservation
	sources map[string]source
	log     *slog.Logger
}

// New returns a Service and registers the bulk workflow with cfg.Engine
// (before the engine starts).
func New(cfg Config) (*Service, error) {
	if cfg.Engine == nil {
		return nil, fmt.Errorf("%w: bulk.Config.Engine is required", ordo.ErrInvalidArgument)
	}
	if cfg.MaxInstances == 0 {
		cfg.MaxInstances = DefaultMaxInstances
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.MaxInstances < 1 || cfg.PageSize < 1 || cfg.PageSize > store.MaxListLimit || cfg.Concurrency < 1 {
		return nil, fmt.Errorf("%w: bulk.Config.MaxInstances and Concurrency must be positive and PageSize 1..%d, got %d, %d and %d",
			ordo.ErrInvalidArgument, store.MaxListLimit, cfg.MaxInstances, cfg.Concurrency, cfg.PageSize)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, eng: cfg.Engine, log: cfg.Logger,
		sources: map[string]source{SourceInstances: instanceSource{st: cfg.Engine.Store()}}}
	if cfg.Orders != nil {
		s.sources[SourceOrders] = orderSource{svc: cfg.Orders}
	}
	if err := s.eng.Register(ordo.NewWorkflow(WorkflowName, s.run)); err != nil {
		return nil, err
	}
	res, err := s.eng.ReservePrefix(WorkflowName, "start bulk jobs with POST /v1/instances/bulk or /v1/orders/bulk")
	if err != nil {
		return nil, err
	}
	s.res = res
	return s, nil
}

// Request asks for a bulk job (or its dry run).
type Request struct {
	// Action is applied to every instance the filter selects.
	Action Action `json:"action"`
	// Filter is the source's listing filter; empty selects everything.
	Filter json.RawMessage `json:"filter,omitempty"`
	// Reason is recorded with every action.
	Reason string `json:"reason,omitempty"`
	// FromStep, for restart, is the step to restart from.
	FromStep string `json:"fromStep,omitempty"`
	// DryRun counts and samples without acting (DryRun, not Start).
	DryRun bool `json:"dryRun,omitempty"`
}

// check checks a request and returns the job's params without Total, or
// an error matching ordo.ErrInvalidArgument.
func (s *Service) check(ctx context.Context, src string, req *Request) (*Params, source, error) {
	so, ok := s.sources[src]
	if !ok {
		return nil, nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: fmt.Sprintf("unknown bulk source %q", src)}
	}
	if !req.Action.Valid() {
		return nil, nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument,
			Message: fmt.Sprintf("action must be one of %v, got %q", Actions, req.Action)}
	}
	if req.FromStep != "" && req.Action != ActionRestart {
		return nil, nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: "fromStep is only for the restart action"}
	}
	if len(req.Reason) > maxReasonBytes || !utf8.ValidString(req.Reason) {
		return nil, nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument,
			Message: fmt.Sprintf("reason must be at most %d bytes of UTF-8 text", maxReasonBytes)}
	}
	filter, err := so.check(req.Filter)
	if err != nil {
		return nil, nil, err
	}
	start := s.eng.Clock().Now().UTC().Truncate(time.Microsecond)
	return &Params{Action: req.Action, Source: src, Filter: filter, FromStep: req.FromStep,
		Actor: ordo.Actor(ctx), Reason: req.Reason, Start: start}, so, nil
}

// DryRun counts the instances of source src that req's filter selects
// (up to MaxInstances+1) and returns the first SampleSize of them. It acts
// on nothing.
func (s *Service) DryRun(ctx context.Context, src string, req *Request) (*Preview, error) {
	p, so, err := s.check(ctx, src, req)
	if err != nil {
		return nil, err
	}
	return s.preview(ctx, p, so)
}

func (s *Service) preview(ctx context.Context, p *Params, so source) (*Preview, error) {
	pv := &Preview{Action: p.Action, Max: s.cfg.MaxInstances, Sample: []Item{}}
	cursor := startCursor(p.Start)
	for {
		items, next, err := so.page(ctx, p.Filter, cursor, store.MaxListLimit)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.CreatedAt.After(p.Start) {
				continue
			}
			if len(pv.Sample) < SampleSize {
				pv.Sample = append(pv.Sample, it)
			}
			pv.Count++
		}
		if pv.Count > s.cfg.MaxInstances {
			pv.Exceeded = true
			return pv, nil
		}
		if next == "" {
			return pv, nil
		}
		cursor = next
	}
}

// Start checks req, counts what its filter selects and starts a job that
// applies its action to each of them, answering at once with the job
// (Get reports its progress). A filter that selects more than
// MaxInstances returns a *TooManyError.
func (s *Service) Start(ctx context.Context, src string, req *Request) (*Job, error) {
	p, so, err := s.check(ctx, src, req)
	if err != nil {
		return nil, err
	}
	pv, err := s.preview(ctx, p, so)
	if err != nil {
		return nil, err
	}
	if pv.Exceeded {
		return nil, &TooManyError{Max: s.cfg.MaxInstances}
	}
	p.Total = pv.Count
	params, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	inst, err := s.eng.Create(ctx, WorkflowName, params, &ordo.CreateOptions{Reservation: s.res})
	if err != nil {
		return nil, err
	}
	s.recordStart(ctx, inst.ID, p)
	return s.Get(ctx, inst.ID)
}

// recordStart records the "bulk.start" audit entry of job id, where the
// store keeps an audit trail. The job already runs: a failure is logged.
func (s *Service) recordStart(ctx context.Context, id string, p *Params) {
	as, ok := s.eng.Store().(store.ActionStore)
	if !ok {
		return
	}
	after, _ := json.Marshal(map[string]any{"action": p.Action, "source": p.Source, "filter": p.Filter,
		"fromStep": p.FromStep, "total": p.Total})
	err := as.ActionAppend(ctx, &store.Action{At: p.Start, Actor: p.Actor, Action: ActionStart,
		InstanceID: id, Target: "bulk/" + id, Reason: p.Reason, After: after})
	if err != nil {
		s.log.Error("ordo: record the start of a bulk job in the audit trail", "job", id, "err", err)
	}
}
