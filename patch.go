package ordo

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ordohq/ordo/store"
)

// maxPatchIDLen bounds a patch ID.
const maxPatchIDLen = 200

// Patched reports whether this instance takes the new code path of the
// patch named id, as Temporal's workflow.Patched does: guard a change to
// a workflow whose instances are in flight with
//
//	if ordo.Patched(ctx, "charge-with-3ds") {
//		// new code
//	} else {
//		// old code
//	}
//
// An instance that reaches the call for the first time records a patch
// marker in its journal (kind store.KindPatch) and takes the new path;
// it does on every replay after. An instance whose journal already holds
// steps past this point without the marker ran the old code here, so it
// keeps the old path: Patched returns false for it, every time. Within a
// run the first answer for an id holds for every later call with it.
//
// The marker takes no place in the step order, so deprecating a patch
// needs no second deploy: once no instance that ran the old path is
// unfinished (list those created before the patched code was deployed),
// replace the if-else by the new code alone; instances holding the marker
// replay it unchanged.
//
// id must be non-empty UTF-8 text without NUL of at most 200 bytes;
// another id panics (a workflow bug: the instance ends with kind
// "panic"). Outside a workflow Patched returns true.
func Patched(ctx context.Context, id string) bool {
	r, err := runFrom(ctx)
	if err != nil {
		return true
	}
	if id == "" || len(id) > maxPatchIDLen || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		panic(fmt.Sprintf("ordo.Patched: patch id %q must be 1..%d bytes of UTF-8 text without NUL", id, maxPatchIDLen))
	}
	return r.patched(id)
}

// patched decides patch id for this run (see Patched).
func (r *run) patched(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.patches[id]; ok {
		return v
	}
	key := store.PatchKey(id)
	if rec := r.steps[key]; rec != nil && rec.Kind == store.KindPatch {
		r.patches[id] = true
		return true
	}
	// The journal holds step calls at or past this point: the instance
	// ran here before the patch, on the old code.
	if r.replayed.last >= r.ordinal {
		r.patches[id] = false
		return false
	}
	now := r.now()
	rec := &store.Step{InstanceID: r.inst.ID, Key: key, Name: key, Seq: 1, Ordinal: r.ordinal,
		Kind: store.KindPatch, Status: store.StepCompleted, StartedAt: now, FinishedAt: &now}
	r.steps[key] = rec
	r.pending.Steps = append(r.pending.Steps, rec)
	r.patches[id] = true
	return true
}
