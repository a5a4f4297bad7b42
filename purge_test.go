package ordo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

type nothing struct{}

func purgeEnv(t *testing.T) *ordotest.Env {
	env := ordotest.New(t, nil)
	env.Register(
		ordo.NewWorkflow("done", func(context.Context, nothing) (nothing, error) { return nothing{}, nil }),
		ordo.NewWorkflow("nap", func(ctx context.Context, _ nothing) (nothing, error) {
			return nothing{}, ordo.Sleep(ctx, "nap", 24*time.Hour)
		}),
	)
	return env
}

func TestDelete(t *testing.T) {
	t.Parallel()
	env := purgeEnv(t)
	ctx := ordo.WithReason(ordo.WithActor(t.Context(), "ops"), "customer asked")
	done := env.Start("done", nothing{})
	env.WaitStatus(done, ordo.StatusComplete)
	waiting := env.Start("nap", nothing{})
	env.WaitStatus(waiting, ordo.StatusWaiting)

	var hooked []string
	env.Engine.OnDelete(func(_ context.Context, cs []store.PurgeCandidate) error {
		for _, c := range cs {
			hooked = append(hooked, c.ID+"/"+c.Workflow)
		}
		return nil
	})
	err := env.Engine.Delete(ctx, waiting)
	if !errors.Is(err, ordo.ErrNotFinished) || !errors.Is(err, ordo.ErrInvalidTransition) {
		t.Errorf("Delete of a waiting instance: %v; want ErrNotFinished", err)
	}
	if err := env.Engine.Delete(ctx, done); err != nil {
		t.Fatalf("Delete of a complete instance: %v", err)
	}
	if _, err := env.Engine.Get(ctx, done); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("Get after Delete: %v; want ErrNotFound", err)
	}
	if err := env.Engine.Delete(ctx, done); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("Delete again: %v; want ErrNotFound", err)
	}
	if len(hooked) != 1 || hooked[0] != done+"/done" {
		t.Errorf("delete hooks saw %q; want the deleted instance only", hooked)
	}
	page, err := env.Engine.Actions(ctx, &store.ActionListParams{Action: store.ActionInstanceDelete})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Actions) != 1 || page.Actions[0].InstanceID != done || page.Actions[0].Actor != "ops" ||
		page.Actions[0].Reason != "customer asked" {
		t.Errorf("audit entries: %+v; want the deletion by ops", page.Actions)
	}
}

func TestPurge(t *testing.T) {
	t.Parallel()
	env := purgeEnv(t)
	ctx := t.Context()
	var ids []string
	for range 5 {
		id := env.Start("done", nothing{})
		env.WaitStatus(id, ordo.StatusComplete)
		ids = append(ids, id)
	}
	waiting := env.Start("nap", nothing{})
	env.WaitStatus(waiting, ordo.StatusWaiting)
	cut := env.Clock.Now().Add(time.Second)

	if _, err := env.Engine.Purge(ctx, &ordo.PurgeOptions{}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("Purge without a finish time: %v; want ErrInvalidArgument", err)
	}
	if _, err := env.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: cut, Statuses: []ordo.Status{ordo.StatusWaiting}}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("Purge of waiting instances: %v; want ErrInvalidArgument", err)
	}
	res, err := env.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: cut, DryRun: true})
	if err != nil || res.Matched != 5 || res.Deleted != 0 {
		t.Fatalf("dry run: %+v, %v; want 5 matched, none deleted", res, err)
	}
	for _, id := range ids {
		if _, err := env.Engine.Get(ctx, id); err != nil {
			t.Fatalf("after the dry run: %v", err)
		}
	}
	// A failing hook keeps the batch.
	fail := true
	env.Engine.OnDelete(func(context.Context, []store.PurgeCandidate) error {
		if fail {
			return errors.New("disk gone")
		}
		return nil
	})
	if res, err := env.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: cut}); err == nil || res.Deleted != 0 {
		t.Errorf("Purge with a failing hook: %+v, %v; want an error and nothing deleted", res, err)
	}
	fail = false
	res, err = env.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: cut, BatchSize: 2, MaxInstances: 3, Audit: true})
	if err != nil || res.Deleted != 3 || !res.More || res.Batches != 2 {
		t.Errorf("Purge of at most 3 in batches of 2: %+v, %v", res, err)
	}
	res, err = env.Engine.Purge(ctx, &ordo.PurgeOptions{FinishedBefore: cut, PauseRatio: 1})
	if err != nil || res.Deleted != 2 || res.More {
		t.Errorf("Purge of the rest: %+v, %v; want 2 deleted", res, err)
	}
	if _, err := env.Engine.Get(ctx, waiting); err != nil {
		t.Errorf("the waiting instance: %v", err)
	}
	page, err := env.Engine.Actions(ctx, &store.ActionListParams{Action: store.ActionInstancePurge})
	if err != nil || len(page.Actions) != 2 {
		t.Errorf("audit entries of the audited purge: %d, %v; want one per batch (2)", len(page.Actions), err)
	}
}
