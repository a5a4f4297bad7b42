package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ordo-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	s, err := sqlite.Open(ctx, filepath.Join(dir, "data", "ordo.db"), nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil { // Open never migrates
		panic(err)
	}

	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	in, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{
		ID: "order-1001", Workflow: "checkout", Params: json.RawMessage(`{"cart":"c-1"}`), Now: now,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(in.ID, in.Status)

	claimed, err := s.InstanceClaim(ctx, &store.ClaimParams{
		Owner: "worker-1", Limit: 10, Now: now, LeaseUntil: now.Add(time.Minute),
	})
	if err != nil {
		panic(err)
	}
	res, err := s.Commit(ctx, []*store.Update{{
		InstanceID: claimed[0].ID, LeaseToken: claimed[0].LeaseToken, Now: now.Add(time.Second),
		State:   &store.StateChange{Status: store.StatusComplete, Output: json.RawMessage(`{"invoice":"INV-1"}`)},
		Release: true,
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Status, res[0].Err)
	// Output:
	// order-1001 queued
	// complete <nil>
}
