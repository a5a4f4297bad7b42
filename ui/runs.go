package ui

import "context"

// runsView lists the earlier runs of an instance, newest first: what each
// restart moved out of the live journal, and how the run ended.
type runsView struct {
	Current int // the live run's number
	Runs    []runView
	Error   string
}

// runView is one ended run.
type runView struct {
	Number              int
	Status, Custom      string
	Started, Ended      *timeView
	FromStep            string
	Actor, Reason       string
	Redrive             bool
	Error               string
	Steps               []runStep
	CompensatedRerunKey []string
}

// runStep is a journal entry of an ended run.
type runStep struct {
	Key, Status string
	Attempts    int
	Error       string
	Failures    int
}

// runs reads the ended runs of instance id.
func (h *handler) runs(ctx context.Context, id string, current int) runsView {
	v := runsView{Current: current}
	if current <= 1 {
		return v
	}
	runs, err := h.engine.Runs(ctx, id)
	if err != nil {
		h.log.Error("ordo ui: runs of an instance", "id", id, "err", err)
		v.Error = "The earlier runs could not be read."
		return v
	}
	fc := h.clockFormat()
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		rv := runView{Number: r.Number, Status: string(r.Status), Custom: r.CustomStatus,
			Started: fc.at(&r.StartedAt), Ended: fc.at(&r.EndedAt), FromStep: r.Restart.FromStep,
			Actor: r.Restart.Actor, Reason: r.Restart.Reason, Redrive: r.Restart.Redrive,
			CompensatedRerunKey: r.Restart.Compensated}
		if r.Error != nil {
			rv.Error = r.Error.Message
		}
		for _, st := range r.Steps {
			rs := runStep{Key: st.Key, Status: string(st.Status), Attempts: st.Attempts}
			if st.Error != nil {
				rs.Error = st.Error.Message
			}
			for _, a := range st.History {
				if a.Error != nil {
					rs.Failures++
				}
			}
			rv.Steps = append(rv.Steps, rs)
		}
		v.Runs = append(v.Runs, rv)
	}
	return v
}
