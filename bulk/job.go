package bulk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// Params are the params of a bulk job's instance: everything the job
// needs, fixed when it starts.
type Params struct {
	Action Action `json:"action"`
	// Source is what the filter lists: SourceInstances or SourceOrders.
	Source string `json:"source"`
	// Filter is the source's listing filter, as checked at the start.
	Filter json.RawMessage `json:"filter"`
	// FromStep is the step a restart starts from ("": the beginning).
	FromStep string `json:"fromStep,omitempty"`
	// Actor and Reason are who started the job and why; every action on
	// an instance is recorded with them.
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// Start freezes the set: instances created after it are not listed,
	// and restart skips instances changed after it.
	Start time.Time `json:"start"`
	// Total is how many instances the filter selected at the start.
	Total int `json:"total"`
}

// Item is one instance a filter selects, as a dry run samples it.
type Item struct {
	ID       string               `json:"id"`
	Workflow string               `json:"workflow"`
	Status   store.InstanceStatus `json:"status"`
	// CustomStatus is the instance's custom status: an order's status.
	CustomStatus string    `json:"customStatus,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// ItemError says why the action failed on, or skipped, one instance.
type ItemError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// pageResult is the recorded output of one page's step: which instances
// it acted on, skipped and failed on.
type pageResult struct {
	Applied []string    `json:"applied,omitempty"`
	Skipped []ItemError `json:"skipped,omitempty"`
	Failed  []ItemError `json:"failed,omitempty"`
}

// listed is the recorded output of one page's listing step: the IDs the
// page holds and the cursor of the next ("" after the last page).
type listed struct {
	IDs  []string `json:"ids"`
	Next string   `json:"next,omitempty"`
}

// MaxErrors bounds Progress.Failures and Progress.Skips.
const MaxErrors = 100

// Progress is how far a bulk job got: the sum of its finished pages.
type Progress struct {
	// Total is how many instances the filter selected at the start (an
	// estimate of Processed at the end: instances that stop matching
	// before their page is listed are not processed).
	Total     int `json:"total"`
	Processed int `json:"processed"`
	Succeeded int `json:"succeeded"`
	// Skipped counts the instances whose status did not allow the action
	// when their page came (already terminated, no longer paused, changed
	// since the start for restart).
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	Pages   int `json:"pages"`
	// Failures and Skips hold the first MaxErrors of each, with why.
	Failures []ItemError `json:"failures,omitempty"`
	Skips    []ItemError `json:"skips,omitempty"`
}

// add counts one finished page.
func (p *Progress) add(r *pageResult) {
	p.Pages++
	p.Succeeded += len(r.Applied)
	p.Skipped += len(r.Skipped)
	p.Failed += len(r.Failed)
	p.Processed += len(r.Applied) + len(r.Skipped) + len(r.Failed)
	p.Failures = appendBounded(p.Failures, r.Failed)
	p.Skips = appendBounded(p.Skips, r.Skipped)
}

func appendBounded(dst, src []ItemError) []ItemError {
	if n := MaxErrors - len(dst); n > 0 {
		dst = append(dst, src[:min(n, len(src))]...)
	}
	return dst
}

// label is the job instance's custom status while it runs.
func (p *Progress) label() string {
	return fmt.Sprintf("%d of %d processed", p.Processed, p.Total)
}

// Job is a bulk job as the API shows it: its params, the status of its
// instance and its progress.
type Job struct {
	ID       string          `json:"id"`
	Action   Action          `json:"action"`
	Source   string          `json:"source"`
	Filter   json.RawMessage `json:"filter"`
	FromStep string          `json:"fromStep,omitempty"`
	Actor    string          `json:"actor"`
	Reason   string          `json:"reason,omitempty"`
	// Status is the job instance's status: running (or queued, waiting)
	// while it works, paused, complete when every page is done, errored
	// or terminated.
	Status store.InstanceStatus `json:"status"`
	// Done is set once the job finished (complete, errored, terminated).
	Done       bool             `json:"done"`
	Progress   Progress         `json:"progress"`
	Error      *store.ErrorInfo `json:"error,omitempty"`
	CreatedAt  time.Time        `json:"createdAt"`
	FinishedAt *time.Time       `json:"finishedAt,omitempty"`
}

// Preview is a dry run's answer: how many instances the filter selects
// and the first of them.
type Preview struct {
	Action Action `json:"action"`
	// Count is how many instances the filter selects, counted up to
	// Max+1: with Exceeded set it is a lower bound and a real run is
	// refused.
	Count    int    `json:"count"`
	Exceeded bool   `json:"exceeded,omitempty"`
	Max      int    `json:"max"`
	Sample   []Item `json:"sample"`
}
