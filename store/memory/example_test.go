package memory_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "order-1", Workflow: "checkout", Now: now}); err != nil {
		log.Fatal(err)
	}
	_, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "order-1", Workflow: "checkout", Now: now})
	fmt.Println(errors.Is(err, store.ErrAlreadyExists))

	if _, err := s.InstanceControl(ctx, &store.ControlParams{InstanceID: "order-1", Action: store.ActionPause, Now: now}); err != nil {
		log.Fatal(err)
	}
	_, err = s.InstanceControl(ctx, &store.ControlParams{InstanceID: "order-1", Action: store.ActionPause, Now: now})
	fmt.Println(errors.Is(err, store.ErrInvalidTransition))
	// Output:
	// true
	// true
}
