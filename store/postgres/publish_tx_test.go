package postgres_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestPublishTxCommitsWithTheShop runs PublishTx and CreateTx in a
// transaction of the shop's own pool (whose search_path is not the
// store's schema), next to the shop's own INSERT: a rolled-back
// transaction leaves no event, instance nor row, a committed one all of
// them.
func TestPublishTxCommitsWithTheShop(t *testing.T) {
	s := open(t)
	shop, err := pgxpool.New(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(shop.Close)
	table := pgx.Identifier{s.Schema(), "shop_orders"}.Sanitize()
	if _, err := shop.Exec(t.Context(), `CREATE TABLE `+table+` (id text PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	run := func(suffix string, commit bool) {
		t.Helper()
		tx, err := shop.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(t.Context())
		if _, err := tx.Exec(t.Context(), `INSERT INTO `+table+` (id) VALUES ($1)`, "o-"+suffix); err != nil {
			t.Fatal(err)
		}
		ev, created, err := s.PublishTx(t.Context(), tx, &store.EventPublishParams{ID: "ev-" + suffix, Type: "order.placed",
			Payload: json.RawMessage(`{"total":150}`), Now: now, Deliveries: []*store.DeliveryParams{
				{Subscription: "ship", Create: &store.InstanceCreateParams{ID: "ship-" + suffix, Workflow: "ship"}}}})
		if err != nil || !created || len(ev.Deliveries) != 1 {
			t.Fatalf("PublishTx = %+v, %v, %v", ev, created, err)
		}
		if _, err := s.CreateTx(t.Context(), tx, &store.InstanceCreateParams{ID: "direct-" + suffix, Workflow: "ship", Now: now}); err != nil {
			t.Fatalf("CreateTx: %v", err)
		}
		if _, err := s.CreateTx(t.Context(), tx, &store.InstanceCreateParams{ID: "direct-" + suffix, Workflow: "ship", Now: now}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("CreateTx of an existing id: err = %v, want ErrAlreadyExists", err)
		}
		if commit {
			if err := tx.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	rowCount := func(id string) int {
		var n int
		if err := shop.QueryRow(t.Context(), `SELECT count(*) FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	run("a", false)
	if _, err := s.PublishedGet(t.Context(), "ev-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of a rolled-back transaction: err = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"ship-a", "direct-a"} {
		if _, err := s.InstanceGet(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("instance %s of a rolled-back transaction: err = %v, want ErrNotFound", id, err)
		}
	}
	if n := rowCount("o-a"); n != 0 {
		t.Errorf("shop row of a rolled-back transaction: %d", n)
	}

	run("b", true)
	ev, err := s.PublishedGet(t.Context(), "ev-b")
	if err != nil || len(ev.Deliveries) != 1 || ev.Deliveries[0].InstanceID != "ship-b" {
		t.Errorf("committed event = %+v, %v", ev, err)
	}
	for _, id := range []string{"ship-b", "direct-b"} {
		if in, err := s.InstanceGet(t.Context(), id); err != nil || in.Status != store.StatusQueued {
			t.Errorf("instance %s of a committed transaction = %+v, %v", id, in, err)
		}
	}
	if n := rowCount("o-b"); n != 1 {
		t.Errorf("shop row of a committed transaction: %d", n)
	}
}

// TestCreateTxRecordsClaimVersion: an instance created and claimed in
// the caller's transaction records the claiming engine's code version,
// as the store's other create paths do.
func TestCreateTxRecordsClaimVersion(t *testing.T) {
	s := open(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	tx, err := s.Pool().Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	in, err := s.CreateTx(t.Context(), tx, &store.InstanceCreateParams{ID: "tx-claimed", Workflow: "ship", Now: now,
		Claim: &store.CreateClaim{Owner: "w0", Token: "tok", LeaseUntil: now.Add(time.Minute), Version: "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != "v2" {
		t.Errorf("CreateTx returned Version %q, want v2", in.Version)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := s.InstanceGet(t.Context(), "tx-claimed")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "v2" {
		t.Errorf("stored Version %q, want v2", got.Version)
	}
}
