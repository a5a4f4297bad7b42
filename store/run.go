package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Run is an ended run of an instance: what a restart moved out of the live
// journal, and how the run ended. An instance's first run is number 1 and
// each restart begins the next (Instance.Run is the current one); the runs
// a restart ended are kept for good and read with Store.InstanceRuns.
type Run struct {
	InstanceID string `json:"instanceId"`
	// Number is the run's number, from 1.
	Number int `json:"run"`
	// StartedAt is when the run began: the instance's creation for run 1,
	// the restart that began it for the others. EndedAt is the restart
	// that ended it.
	StartedAt time.Time `json:"startedAt"`
	EndedAt   time.Time `json:"endedAt"`
	// Status, Error, Output and CustomStatus are the instance's as the
	// restart found them: how the run ended (a run restarted while it was
	// still going ended "running", "waiting" or "paused").
	Status       InstanceStatus  `json:"status"`
	Error        *ErrorInfo      `json:"error,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	CustomStatus string          `json:"customStatus,omitempty"`
	// Params are the params the run ran with (a redrive may give the next
	// run others).
	Params json.RawMessage `json:"params,omitempty"`
	// Restart says how the restart that ended the run was asked for.
	Restart RunRestart `json:"restart"`
	// Steps are the journal entries the restart took out of the live
	// journal, ordered by Ordinal, each with its attempt history: the steps
	// the next run runs again. The steps a restart from a step kept stay in
	// the live journal (and in JournalLoad), so they are not repeated here.
	Steps []*Step `json:"steps"`
}

// RunRestart describes the restart that ended a run.
type RunRestart struct {
	// FromStep is the step the next run starts from; "" for the beginning.
	FromStep string `json:"fromStep,omitempty"`
	// Actor and Reason are the audit entry's (ControlParams.Audit), if any.
	Actor  string `json:"actor,omitempty"`
	Reason string `json:"reason,omitempty"`
	// CustomStatus is the custom status the next run began with: that of
	// the last step the restart kept that set one.
	CustomStatus string `json:"customStatus,omitempty"`
	// Redrive is set when the next run got other params.
	Redrive bool `json:"redrive,omitempty"`
	// Kept lists the keys of the steps the restart kept in the live
	// journal, in ordinal order: a step not kept by a restart ran after
	// it.
	Kept []string `json:"kept,omitempty"`
	// Compensated lists the keys of steps whose compensation had completed
	// and that run again because the restart allowed it
	// (ControlParams.AllowCompensated).
	Compensated []string `json:"compensated,omitempty"`
}

// RestartPlan is what a restart does to an instance, decided by
// PlanRestart from the instance and its journal; a backend applies it in
// the transaction that read them.
type RestartPlan struct {
	// Archive lists the keys of the steps taken out of the live journal
	// (with their attempts) and recorded in Run.Steps; the events they
	// consumed become unconsumed.
	Archive []string
	// ResetCompensation lists the keys of kept steps whose compensation
	// state (status, error, attempts, next attempt) is cleared, so that a
	// later failure compensates them again.
	ResetCompensation []string
	// CustomStatus is the instance's custom status from now on: that of
	// the last kept step that set one, "" when none did.
	CustomStatus string
	// Params, if non-nil, replace the instance's params (a redrive).
	Params json.RawMessage
	// Run is the record of the run the restart ends; the instance's run
	// number becomes Run.Number+1.
	Run *Run
	// KeepVersion says the instance keeps its Version: the restart keeps
	// steps, which that version's code recorded. A restart that keeps
	// none clears it, so that an engine of any version may run the new
	// run.
	KeepVersion bool
}

// PlanRestart decides a restart (the rules of ActionRestart): in is the
// instance as locked by the transaction, steps its whole journal (with
// their histories, any order), started when its current run began (the
// EndedAt of its latest Run, or zero for the first run). The errors are
// RestartUnknownStep and RestartCompensated; nothing is changed.
func PlanRestart(in *Instance, steps []*Step, p *ControlParams, started time.Time) (*RestartPlan, error) {
	sorted := append([]*Step(nil), steps...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Ordinal != sorted[j].Ordinal {
			return sorted[i].Ordinal < sorted[j].Ordinal
		}
		return sorted[i].Key < sorted[j].Key
	})
	first := -1
	if p.FromStep != "" {
		for _, st := range sorted {
			if st.Name == p.FromStep {
				first = st.Ordinal
				break
			}
		}
		if first < 0 {
			return nil, RestartUnknownStep(in.ID, p.FromStep)
		}
	}
	if started.IsZero() {
		started = in.CreatedAt
	}
	run := number(in.Run)
	plan := &RestartPlan{Params: p.Params, Run: &Run{
		InstanceID: in.ID, Number: run, StartedAt: started, EndedAt: p.Now,
		Status: in.Status, Error: in.Error, Output: in.Output, CustomStatus: in.CustomStatus, Params: in.Params,
		Restart: RunRestart{FromStep: p.FromStep, Redrive: p.Params != nil},
		Steps:   []*Step{},
	}}
	if a := p.Audit; a != nil {
		plan.Run.Restart.Actor, plan.Run.Restart.Reason = a.Actor, a.Reason
	}
	for _, st := range sorted {
		kept := p.FromStep != "" && st.Ordinal < first
		if kept && st.CompensationStatus == CompCompleted {
			if !p.AllowCompensated {
				return nil, RestartCompensated(in.ID, in.Status, p.FromStep)
			}
			kept = false
			plan.Run.Restart.Compensated = append(plan.Run.Restart.Compensated, st.Key)
		}
		if !kept {
			plan.Archive = append(plan.Archive, st.Key)
			plan.Run.Steps = append(plan.Run.Steps, st)
			continue
		}
		plan.Run.Restart.Kept = append(plan.Run.Restart.Kept, st.Key)
		if st.CompensationStatus != CompNone {
			plan.ResetCompensation = append(plan.ResetCompensation, st.Key)
		}
		if st.CustomStatus != "" {
			plan.CustomStatus = st.CustomStatus
		}
	}
	plan.Run.Restart.CustomStatus = plan.CustomStatus
	plan.KeepVersion = len(plan.Run.Restart.Kept) > 0
	return plan, nil
}

// number is an instance's run number as stored: 0 (a row from before runs
// were counted) is run 1.
func number(run int) int { return max(run, 1) }

// EncodeRun is the stored form of a run record (backends keep it whole).
func EncodeRun(r *Run) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode run %d of %q: %w", r.Number, r.InstanceID, err)
	}
	return b, nil
}

// DecodeRun reads a run record stored by EncodeRun.
func DecodeRun(instanceID string, data []byte) (*Run, error) {
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode a run of %q: %w", instanceID, err)
	}
	for _, st := range r.Steps {
		st.InstanceID = instanceID
	}
	return &r, nil
}
