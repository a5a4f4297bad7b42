package ordo

import (
	"fmt"

	"github.com/ordohq/ordo/store"
)

// NonDeterminismError says that a replay found the workflow code no longer
// calling the steps its journal recorded, in their order: a step added
// before a recorded one, a recorded step removed or renamed, a step of
// another kind. The engine stops such an instance at once, before any
// new code runs inside it: it ends errored with error kind
// store.ErrorKindNonDeterminism and the error's message, and its
// compensations do not run (the code that registers them no longer
// matches the journal). Deploy code that replays the journal (guard
// changes with Patched) and restart the instance, or run the old version
// on a worker of its own (Config.Version).
type NonDeterminismError struct {
	// Position is the place in the run's step order (from 0) where the
	// code and the journal part.
	Position int
	// Recorded is the key of the step the journal holds there ("charge#1"),
	// "" when it holds none; RecordedKind its kind.
	Recorded     string
	RecordedKind store.StepKind
	// Called is the key of the step the code called there, "" when the
	// workflow returned instead; CalledKind its kind.
	Called     string
	CalledKind store.StepKind
}

func (e *NonDeterminismError) Error() string {
	switch {
	case e.Called == "":
		return fmt.Sprintf("non-deterministic workflow: the journal holds step %q (%s) at position %d, but the workflow returned without calling it",
			e.Recorded, e.RecordedKind, e.Position)
	case e.Recorded == e.Called:
		return fmt.Sprintf("non-deterministic workflow: step %q was recorded as a %s call but is now a %s call",
			e.Called, e.RecordedKind, e.CalledKind)
	case e.Recorded == "":
		return fmt.Sprintf("non-deterministic workflow: step %q (%s) was recorded at another position, not at %d where the workflow now calls it",
			e.Called, e.CalledKind, e.Position)
	}
	return fmt.Sprintf("non-deterministic workflow: the journal holds step %q (%s) at position %d, but the workflow now calls %q (%s) there",
		e.Recorded, e.RecordedKind, e.Position, e.Called, e.CalledKind)
}

// nonDeterminismSignal unwinds the workflow goroutine of a run whose
// replay diverged from the journal; the instance ends errored.
type nonDeterminismSignal struct{ err *NonDeterminismError }

// replayed indexes the journal a run loaded, for the order checks.
type replayed struct {
	byOrdinal map[int]*store.Step
	byKey     map[string]*store.Step
	// last is the greatest ordinal of a loaded step call, -1 for none.
	last int
}

func newReplayed(steps []*store.Step) replayed {
	rp := replayed{byOrdinal: map[int]*store.Step{}, byKey: map[string]*store.Step{}, last: -1}
	for _, s := range steps {
		if s.Kind == store.KindPatch || s.Kind == store.KindConcurrency {
			continue
		}
		rp.byOrdinal[s.Ordinal] = s
		rp.byKey[s.Key] = s
		rp.last = max(rp.last, s.Ordinal)
	}
	return rp
}

// expect checks, on the workflow goroutine, that the step call key of
// kind at position ord is what the journal recorded there (or that the
// journal holds nothing there nor that key elsewhere); otherwise the run
// stops with a NonDeterminismError.
func (r *run) expect(key string, ord int, kind store.StepKind) {
	at, same := r.replayed.byOrdinal[ord], r.replayed.byKey[key]
	var e *NonDeterminismError
	switch {
	case at != nil && (at.Key != key || at.Kind != kind):
		e = &NonDeterminismError{Position: ord, Recorded: at.Key, RecordedKind: at.Kind, Called: key, CalledKind: kind}
	case at == nil && same != nil:
		e = &NonDeterminismError{Position: ord, Called: key, CalledKind: kind}
	default:
		return
	}
	panic(&nonDeterminismSignal{err: e})
}

// unvisited returns the error for a workflow that returned while the
// journal holds step calls at positions it did not reach, or nil.
func (r *run) unvisited() *NonDeterminismError {
	r.mu.Lock()
	next := r.ordinal
	r.mu.Unlock()
	var first *store.Step
	for ord, s := range r.replayed.byOrdinal {
		if ord >= next && (first == nil || ord < first.Ordinal) {
			first = s
		}
	}
	if first == nil {
		return nil
	}
	return &NonDeterminismError{Position: first.Ordinal, Recorded: first.Key, RecordedKind: first.Kind}
}

// stopNonDeterministic ends the instance errored with the divergence,
// without compensations.
func (r *run) stopNonDeterministic(e *NonDeterminismError) {
	r.logger().Error("ordo: workflow code does not match the instance's journal; stopping the instance", "err", e)
	step := e.Called
	if step == "" {
		step = e.Recorded
	}
	r.finish(&store.StateChange{Status: store.StatusErrored,
		Error: &store.ErrorInfo{Message: e.Error(), Kind: ErrorKindNonDeterminism, Step: step}})
}
