package bench

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// preloadSpan is how far back the finished instances of Options.Preload
// were created: spread evenly over it, oldest first.
const preloadSpan = 30 * 24 * time.Hour

// finishedBatch is how many finished instances one Commit stores.
const finishedBatch = 500

// finishedSet describes finished instances to store in bulk: n of
// workflow, the i-th created at at(i) with the ID id(i).
type finishedSet struct {
	n        int
	workflow string
	at       func(i int) time.Time
	id       func(i int, at time.Time) string
}

// storeFinished stores the instances of set shaped like a finished WF3's
// (created claimed, three completed steps with an attempt each, ~100-byte
// params and outputs, complete and released a few milliseconds later) in
// commits of finishedBatch through st.Commit, from parallel goroutines at
// once (a backend with one writer serialises them).
func storeFinished(ctx context.Context, st store.Store, set finishedSet, parallel int) error {
	params, _ := json.Marshal(input{Payload: filler})
	out, _ := json.Marshal(output{Payload: filler})
	batches := make(chan int)
	errc := make(chan error, parallel)
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Go(func() {
			for start := range batches {
				if err := commitFinished(ctx, st, set, start, params, out); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	go func() {
		defer close(batches)
		for start := 0; start < set.n; start += finishedBatch {
			select {
			case batches <- start:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

// commitFinished stores the instances start..start+finishedBatch of set.
func commitFinished(ctx context.Context, st store.Store, set finishedSet, start int, params, out json.RawMessage) error {
	updates := make([]*store.Update, 0, finishedBatch)
	for i := start; i < min(set.n, start+finishedBatch); i++ {
		at := set.at(i)
		id := set.id(i, at)
		token := "t-" + id
		done := at.Add(4 * time.Millisecond)
		u := &store.Update{
			Create: &store.InstanceCreateParams{ID: id, Workflow: set.workflow, Params: params, Now: at,
				Claim: &store.CreateClaim{Owner: "bench", Token: token, LeaseUntil: at.Add(time.Minute)}},
			InstanceID: id, LeaseToken: token, Now: done,
			State:   &store.StateChange{Status: store.StatusComplete, Output: out},
			Release: true,
		}
		for s := 1; s <= 3; s++ {
			key := "step-" + strconv.Itoa(s-1) + "#1"
			began, fin := at.Add(time.Duration(s)*time.Millisecond), at.Add(time.Duration(s)*time.Millisecond+200*time.Microsecond)
			u.Steps = append(u.Steps, &store.Step{Key: key, Name: "step-" + strconv.Itoa(s-1), Seq: 1, Ordinal: s - 1,
				Kind: store.KindDo, Status: store.StepCompleted, Output: out, Attempts: 1, StartedAt: began, FinishedAt: &fin})
			u.Attempts = append(u.Attempts, store.AttemptRecord{StepKey: key,
				Attempt: store.Attempt{Number: 1, StartedAt: began, FinishedAt: fin}})
		}
		updates = append(updates, u)
	}
	res, err := st.Commit(ctx, updates)
	if err != nil {
		return fmt.Errorf("store finished instances: %w", err)
	}
	for _, r := range res {
		if r.Err != nil {
			return fmt.Errorf("store finished instances: %w", r.Err)
		}
	}
	return nil
}

// preloadSet is the set of Options.Preload: n finished instances of
// workflow, created over the preloadSpan before now, with time-ordered
// IDs (UUIDv7 of their creation time, as the engine gives), so that the
// tables and their indexes look like those of a database that ran the
// workload for a month.
func preloadSet(n int, workflow string, now time.Time) finishedSet {
	from := now.Add(-preloadSpan)
	step := preloadSpan / time.Duration(max(n, 1))
	return finishedSet{n: n, workflow: workflow,
		at: func(i int) time.Time { return from.Add(time.Duration(i) * step) },
		id: func(_ int, at time.Time) string { return uuidV7At(at).String() },
	}
}

// uuidV7At is a version 7 UUID of time t: its first 48 bits are t's Unix
// milliseconds, the rest random (RFC 9562).
func uuidV7At(t time.Time) uuid.UUID {
	var u uuid.UUID
	_, _ = rand.Read(u[:])
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}
