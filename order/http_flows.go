package order

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// FlowResponse is the answer of PUT /v1/flows/{name}: the version now
// current, whether the apply created it, and the flow's warnings.
type FlowResponse struct {
	*store.FlowVersion
	Created  bool           `json:"created"`
	Warnings []flow.Problem `json:"warnings,omitempty"`
}

// ValidateResponse is the answer of POST /v1/flows/validate for a valid
// flow.
type ValidateResponse struct {
	Valid      bool            `json:"valid"`
	Steps      int             `json:"steps"`
	Hash       string          `json:"hash"`
	Definition json.RawMessage `json:"definition"`
	Warnings   []flow.Problem  `json:"warnings,omitempty"`
}

// flowProblems turns a *flow.ValidationError into the 400 answer that
// lists every problem in error.details.
func flowProblems(err error) error {
	var ve *flow.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	msg := fmt.Sprintf("invalid flow: %d problem(s)", len(ve.Problems))
	if len(ve.Problems) > 0 {
		msg += "; first: " + ve.Problems[0].String()
	}
	return api.BadRequest(CodeInvalidFlow, msg, ve.Problems)
}

func (s *Service) handleApplyFlow(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, created, warnings, err := s.ApplyFlow(r.Context(), r.PathValue("name"), body)
	if err != nil {
		return flowProblems(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	api.WriteJSON(w, status, FlowResponse{FlowVersion: v, Created: created, Warnings: warnings})
	return nil
}

func (s *Service) handleListFlows(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.Flows(r.Context())
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"flows": vs})
	return nil
}

// versionParam reads a positive version number from the query parameter
// key; "" is 0 unless required.
func versionParam(r *http.Request, key string, required bool) (int, error) {
	q := r.URL.Query().Get(key)
	if q == "" && !required {
		return 0, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return 0, api.BadRequest(api.CodeInvalidArgument, key+" must be a positive integer, got "+strconv.Quote(q), nil)
	}
	return n, nil
}

func (s *Service) handleFlowVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.FlowVersions(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"name": r.PathValue("name"), "versions": vs})
	return nil
}

func (s *Service) handleFlowDiff(w http.ResponseWriter, r *http.Request) error {
	from, err := versionParam(r, "from", true)
	if err != nil {
		return err
	}
	to, err := versionParam(r, "to", true)
	if err != nil {
		return err
	}
	d, err := s.FlowDiff(r.Context(), r.PathValue("name"), from, to)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (s *Service) handleGetFlow(w http.ResponseWriter, r *http.Request) error {
	version, err := versionParam(r, "version", false)
	if err != nil {
		return err
	}
	v, err := s.Flow(r.Context(), r.PathValue("name"), version)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Service) handleValidateFlow(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	res, err := s.parseFlow(body)
	if err != nil {
		return flowProblems(err)
	}
	canonical, err := flow.Canonical(res.Definition)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, ValidateResponse{
		Valid: true, Steps: len(res.Definition.Steps), Hash: flow.Hash(res.Definition),
		Definition: canonical, Warnings: res.Warnings,
	})
	return nil
}

func (s *Service) handleFlowSchema(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/schema+json")
	_, err := w.Write(flow.Schema())
	return err
}
