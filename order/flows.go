package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// ApplyFlow validates a flow document (the seed's array or the object form,
// see package flow) and stores it as the flow's next version, then
// registers the flow on the engine so that orders can use it at once.
// Content equal to the latest version (compared by flow.Hash, so whitespace,
// key order and the form do not matter) is a no-op: the latest version is
// returned with created false.
//
// An invalid document returns a *flow.ValidationError listing every
// problem; warnings (unreachable steps) do not stop the apply.
func (s *Service) ApplyFlow(ctx context.Context, name string, data []byte) (v *store.FlowVersion, created bool, warnings []flow.Problem, err error) {
	put, res, err := s.prepareFlow(name, data)
	if err != nil {
		return nil, false, nil, err
	}
	put.Source = store.FlowSourceAPI
	put.Audit = ordo.ActionEntry(ctx, put.Now, store.ActionFlowApply) // written with the version
	v, created, err = s.cfg.Store.FlowPut(ctx, put)
	if err != nil {
		return nil, false, nil, fmt.Errorf("apply flow %q: %w", name, err)
	}
	if err := s.activate(v, res.Definition); err != nil {
		return nil, false, nil, err
	}
	if created {
		s.log.Info("order: flow applied", "flow", name, "version", v.Version, "hash", v.Hash)
	}
	return v, created, res.Warnings, nil
}

// prepareFlow checks a flow's name and document and returns the put that
// stores it, with the parse result.
func (s *Service) prepareFlow(name string, data []byte) (*store.FlowPutParams, *flow.Result, error) {
	if err := checkFlowName(name); err != nil {
		return nil, nil, err
	}
	res, err := s.parseFlow(data)
	if err != nil {
		return nil, nil, err
	}
	canonical, err := flow.Canonical(res.Definition)
	if err != nil {
		return nil, nil, fmt.Errorf("apply flow %q: %w", name, err)
	}
	return &store.FlowPutParams{
		Name: name, Hash: flow.Hash(res.Definition), Definition: canonical, Now: s.eng.Clock().Now(),
	}, res, nil
}

// activate makes v, the latest version of its flow with definition def,
// the one new orders and the flow's triggers use.
func (s *Service) activate(v *store.FlowVersion, def *flow.Definition) error {
	s.cacheDefinition(flowKey{v.Name, v.Version}, def)
	if err := s.register(v.Name); err != nil {
		return err
	}
	s.applyRetention(v.Name, def)
	return s.syncTriggers(v.Name, v.Version, def)
}

// ParseFlow validates a flow document as ApplyFlow does: flow.ParseWith
// with the templates of send-email steps checked against TemplateData, so
// that a field the order does not have, like a syntax error or a loop over
// a constant, is a problem with the step's id and the template's path
// (/steps/2/options/message). `ordo flows validate` and
// POST /v1/flows/validate use it too.
func ParseFlow(data []byte) (*flow.Result, error) {
	return flow.ParseWith(data, &flow.ParseOptions{TemplateData: templateDataType})
}

// parseFlow is ParseFlow that also checks each step's "limit" against
// the limits the engine declares (ordo serve --limit): an unknown one is
// a problem with code unknown_limit.
func (s *Service) parseFlow(data []byte) (*flow.Result, error) {
	return flow.ParseWith(data, &flow.ParseOptions{TemplateData: templateDataType, Limits: s.declaresLimit})
}

// declaresLimit reports whether the engine declares the limit name.
func (s *Service) declaresLimit(name string) bool {
	for _, l := range s.eng.Limits() {
		if l.Name == name {
			return true
		}
	}
	return false
}

// RegisterStoredFlows registers on the engine every flow in the store that
// is not registered yet. Call it before the engine starts, so that orders
// in flight continue; Start calls it periodically.
func (s *Service) RegisterStoredFlows(ctx context.Context) error {
	vs, err := s.cfg.Store.FlowList(ctx)
	if err != nil {
		return fmt.Errorf("register stored flows: %w", err)
	}
	for _, v := range vs {
		if err := s.register(v.Name); err != nil {
			return err
		}
		if err := s.syncStoredTriggers(ctx, v.Name, v.Version); err != nil {
			if ctx.Err() != nil {
				return err
			}
			// One flow that no longer parses (rules tightened since it was
			// stored) must not keep the server from starting: its orders
			// fail when they run, its triggers stay off, and it says so.
			s.log.Warn("order: triggers of stored flow not subscribed", "flow", v.Name, "version", v.Version, "err", err)
		}
	}
	return nil
}

// Flow returns one version of a flow, the latest when version is 0. An
// unknown flow or version wraps ordo.ErrNotFound.
func (s *Service) Flow(ctx context.Context, name string, version int) (*store.FlowVersion, error) {
	v, err := s.cfg.Store.FlowGet(ctx, name, version)
	if err != nil {
		return nil, flowStoreErr(name, version, err)
	}
	return v, nil
}

// Flows returns the latest version of every flow, sorted by name.
func (s *Service) Flows(ctx context.Context) ([]*store.FlowVersion, error) {
	vs, err := s.cfg.Store.FlowList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	return vs, nil
}

// register registers the workflow of a flow on the engine, once. The
// workflow reads the version from each order's params, so one registration
// serves every version.
func (s *Service) register(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registered[name] {
		return nil
	}
	wf := ordo.NewWorkflow(WorkflowName(name), s.runFlow).WithConcurrencyFunc(s.flowConcurrency)
	if err := s.eng.Register(wf); err != nil && !errors.Is(err, ordo.ErrAlreadyExists) {
		return fmt.Errorf("register flow %q: %w", name, err)
	}
	s.registered[name] = true
	return nil
}

// definition returns a flow version parsed, from the cache or the store.
// Versions never change, so a cached definition stays right.
func (s *Service) definition(ctx context.Context, name string, version int) (*flow.Definition, error) {
	key := flowKey{name, version}
	s.mu.Lock()
	def, ok := s.defs[key]
	s.mu.Unlock()
	if ok {
		return def, nil
	}
	v, err := s.cfg.Store.FlowGet(ctx, name, version)
	if err != nil {
		return nil, flowStoreErr(name, version, err)
	}
	// Templates were checked at apply and are checked again when they run.
	res, err := flow.ParseWith(v.Definition, &flow.ParseOptions{SkipTemplateChecks: true})
	if err != nil {
		return nil, fmt.Errorf("flow %q version %d as stored is invalid: %w", name, version, err)
	}
	s.cacheDefinition(key, res.Definition)
	return res.Definition, nil
}

func (s *Service) cacheDefinition(key flowKey, def *flow.Definition) {
	s.mu.Lock()
	s.defs[key] = def
	s.mu.Unlock()
}

// flowStoreErr translates the store's ErrNotFound into ordo.ErrNotFound
// with a message naming the flow.
func flowStoreErr(name string, version int, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		if version == 0 {
			return fmt.Errorf("%w: flow %q does not exist", ordo.ErrNotFound, name)
		}
		return fmt.Errorf("%w: flow %q has no version %d", ordo.ErrNotFound, name, version)
	}
	return fmt.Errorf("get flow %q: %w", name, err)
}
