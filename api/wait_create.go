package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/ordohq/ordo"
)

// answerWait waits up to d for instance id to finish and answers 200 with
// the finished instance (its output, or its error), or 202 with the
// instance as it stands. A client that went away gets no answer.
func (s *Server) answerWait(w http.ResponseWriter, r *http.Request, id string, d time.Duration) error {
	_, err := s.WaitFinished(r.Context(), id, d)
	if r.Context().Err() != nil {
		return nil //nolint:nilerr // the client went away: its error has nobody to go to
	}
	if err != nil {
		return err
	}
	inst, err := s.cfg.Engine.Get(r.Context(), id)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if inst.Status.Terminal() {
		status = http.StatusOK
	}
	writeJSON(w, status, inst)
	return nil
}

// sameCreate reports whether the existing instance inst is what a create
// of workflow with params would make, so that a repeated create may wait
// for it. Params are compared as JSON values (a store may respell them).
func sameCreate(inst *ordo.Instance, workflow string, params json.RawMessage) bool {
	if inst == nil || inst.Workflow != workflow {
		return false
	}
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	a, errA := decodeJSONValue(inst.Params)
	b, errB := decodeJSONValue(params)
	return errA == nil && errB == nil && reflect.DeepEqual(a, b)
}

// decodeJSONValue decodes a JSON value keeping numbers exact.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
