package ui

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

// instanceView is an instance's page: its summary, the action forms and
// the step timeline.
type instanceView struct {
	pageData
	Live     liveView
	Params   string
	Actions  actionsView
	Audit    auditView
	Runs     runsView
	Family   familyView
	ListURL  string
	Workflow string
}

// liveView is the part of the page htmx refreshes while the instance is
// not finished: the summary and the timeline.
type liveView struct {
	ID, Workflow, Status, CustomStatus string
	WorkflowURL                        string // the list filtered by this workflow
	// Reason, when set, says why the instance does not move on
	// (ordo.ReasonUnregisteredWorkflow).
	Reason                             string
	Created, Started, Finished, WakeAt *timeView
	Duration                           string
	Claims                             int
	LeaseOwner                         string
	Output                             string
	Error                              *errorView
	Timeline                           timelineView
	// Awaits are the events the waiting event steps wait for.
	Awaits []awaitView
	// Poll is set while the instance is not terminal: the htmx URL and
	// trigger that refresh this part.
	Poll    bool
	LiveURL string
	Refresh string
	// OOB marks the timeline for an out-of-band swap: set in the polling
	// answer, where the summary is the main content.
	OOB bool
	// Priority is the instance's priority (ordo.CreateOptions.Priority),
	// shown when not 0.
	Priority int
}

// actionsView holds the action forms and the outcome of the last action.
type actionsView struct {
	URL string // the instance's URL; actions post to URL/pause, ...
	// Target is the id of the element an htmx answer replaces (the
	// element of that id in the answered page): "instance" or "order".
	Target string
	// Pausable, Resumable and Finished say which actions the status
	// allows, to stress them; every button stays usable, and the engine
	// has the last word.
	Pausable, Resumable, Finished bool
	// CanOperate is false when the signed-in key lacks the operate scope:
	// the forms are not shown (and the actions refuse with 403); Key
	// names that key.
	CanOperate bool
	Key        *auth.Principal
	Steps      []string // step names to restart from, in journal order
	Flash      *flash
	// EventType and EventPayload refill the event form after a refused
	// event, so the operator can fix the JSON; otherwise EventType is the
	// type the first waiting event step waits for, and EventPayload its
	// match as a JSON object.
	EventType, EventPayload string
	// Cancellable: the status allows a cancel (queued, running, waiting,
	// paused). Reason refills the reason of a cancel; ConfirmCancel shows
	// the confirmation of a cancel asked for, with Undo, the steps whose
	// compensations it will run, newest first.
	Cancellable   bool
	Reason        string
	ConfirmCancel bool
	Undo          []string
	// Versions, on an order's page, are the flow versions a restart may
	// move the order to (Version is the one it runs).
	Versions []int
	Version  int
	// FailedCompensations are the steps whose compensation failed for
	// good, each to retry, mark done or skip.
	FailedCompensations []failedComp
}

// failedComp is a step whose compensation failed for good.
type failedComp struct {
	Key, Name, Error string
}

// flash is the outcome of an action, shown above the forms.
type flash struct {
	OK      bool
	Message string
}

func (h *handler) instancePage(w http.ResponseWriter, r *http.Request) {
	h.showInstance(w, r, r.PathValue("id"), http.StatusOK, doneFlash(r.URL.Query().Get("done")), nil)
}

// doneFlash is the outcome shown after the redirect that follows an action
// posted without htmx (?done=pause), nil for none.
func doneFlash(done string) *flash {
	switch done {
	case "pause":
		return &flash{OK: true, Message: "Paused: the instance stops at its next step boundary."}
	case "resume":
		return &flash{OK: true, Message: "Resumed."}
	case "terminate":
		return &flash{OK: true, Message: "Terminated."}
	case "restart":
		return &flash{OK: true, Message: "Restarted."}
	case "event":
		return &flash{OK: true, Message: "Event sent."}
	case "cancel":
		return &flash{OK: true, Message: "Cancelled: the compensations of the finished steps run in reverse order."}
	case "compensation":
		return &flash{OK: true, Message: "Done: the compensations go on."}
	}
	return nil
}

// showInstance renders the instance page with an action's outcome; form
// refills the event form after a refused event.
func (h *handler) showInstance(w http.ResponseWriter, r *http.Request, id string, status int, fl *flash, form *actionsView) {
	inst, err := h.engine.Get(r.Context(), id)
	if err != nil {
		if errors.Is(err, ordo.ErrNotFound) {
			h.renderNotFound(w, r, "There is no instance with ID "+id+".")
			return
		}
		h.log.Error("ordo ui: get instance", "id", id, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	v := &instanceView{
		pageData: h.page(r, "Instance "+inst.ID), Live: h.live(inst), Params: prettyJSON(inst.Params),
		ListURL: h.cfg.BasePath + "/", Workflow: inst.Workflow,
		Actions: h.actionsFor(r, inst, h.instanceURL(inst.ID), fl, form), Audit: h.audit(r.Context(), inst.ID),
		Runs: h.runs(r.Context(), inst.ID, inst.Run), Family: h.family(r.Context(), inst),
	}
	h.render(w, r, h.pages.instance, "layout", status, v)
}

// actionsFor returns the action forms of an instance, posting to
// url/pause, url/resume, ...; form refills the event form after a refused
// event.
func (h *handler) actionsFor(r *http.Request, inst *ordo.Instance, url string, fl *flash, form *actionsView) actionsView {
	a := actionsView{URL: url, Target: "instance", Flash: fl, Resumable: inst.Status == ordo.StatusPaused,
		Pausable: inst.Status == ordo.StatusQueued || inst.Status == ordo.StatusRunning || inst.Status == ordo.StatusWaiting,
		Finished: inst.Status.Terminal()}
	a.Key, a.CanOperate = mayOperate(r.Context())
	a.Cancellable = a.Pausable || a.Resumable
	if form != nil {
		a.EventType, a.EventPayload, a.Reason, a.ConfirmCancel = form.EventType, form.EventPayload, form.Reason, form.ConfirmCancel
	}
	if a.EventType == "" && a.EventPayload == "" {
		a.EventType, a.EventPayload = awaitedEvent(inst)
	}
	seen := map[string]bool{}
	for i, st := range inst.Steps {
		if !seen[st.Name] {
			seen[st.Name] = true
			a.Steps = append(a.Steps, st.Name)
		}
		if st.CompensationStatus == store.CompFailed {
			fc := failedComp{Key: st.Key, Name: st.Name}
			if st.CompensationError != nil {
				fc.Error = st.CompensationError.Message
			}
			a.FailedCompensations = append(a.FailedCompensations, fc)
		}
		// The compensations a cancel runs, newest first.
		if b := inst.Steps[len(inst.Steps)-1-i]; b.HasCompensation && b.Status == store.StepCompleted && b.CompensationStatus == store.CompNone {
			a.Undo = append(a.Undo, b.Key)
		}
	}
	return a
}

// awaitedEvent returns the type the first waiting event step of inst
// waits for and its match as a JSON object ("" without a match); "", ""
// when no step waits for an event.
func awaitedEvent(inst *ordo.Instance) (typ, payload string) {
	for _, st := range inst.Steps {
		if st.Kind != store.KindEvent || st.Status != store.StepWaiting || st.Await == nil {
			continue
		}
		if len(st.Await.Match) > 0 {
			if b, err := json.Marshal(st.Await.Match); err == nil {
				payload = string(b)
			}
		}
		return st.Await.Type, payload
	}
	return "", ""
}

// instanceLive answers htmx's polling with the summary and, out of band,
// the timeline. Once the instance is terminal the answer no longer polls.
func (h *handler) instanceLive(w http.ResponseWriter, r *http.Request) {
	inst, err := h.engine.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), h.errorStatus(err))
		return
	}
	v := h.live(inst)
	v.OOB = true
	h.render(w, r, h.pages.instance, "live", http.StatusOK, v)
}

func (h *handler) live(inst *ordo.Instance) liveView {
	fc := h.clockFormat()
	v := liveView{
		ID: inst.ID, Workflow: inst.Workflow, Status: string(inst.Status), CustomStatus: inst.CustomStatus,
		WorkflowURL: h.cfg.BasePath + "/" + listFilter{Workflow: inst.Workflow}.query(""),
		Created:     fc.at(&inst.CreatedAt), Started: fc.at(inst.StartedAt), Finished: fc.at(inst.FinishedAt),
		Claims: inst.Claims, LeaseOwner: inst.LeaseOwner, Output: prettyJSON(inst.Output),
		Error: newErrorView(inst.Error), Timeline: buildTimeline(inst, fc), Awaits: awaitsOf(inst),
		Poll: !inst.Status.Terminal(), LiveURL: h.instanceURL(inst.ID) + "/live", Refresh: h.refresh(),
		Reason: string(inst.Reason), Priority: inst.Priority,
	}
	if inst.Status == ordo.StatusWaiting {
		v.WakeAt = fc.at(inst.WakeAt)
	}
	if inst.FinishedAt != nil {
		v.Duration = formatDuration(inst.FinishedAt.Sub(inst.CreatedAt))
	} else {
		v.Duration = formatDuration(fc.now.Sub(inst.CreatedAt)) + " so far"
	}
	return v
}
