package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/order/ordertest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestSchedulesWorkersKilledPostgres: an "every 1s" recurring order on
// three `ordo serve --postgres` processes sharing one schema. One is
// SIGKILLed half-way, then the others stop; after a downtime longer than
// the catch-up window one worker starts again. Every second from the first
// fire to the last is recorded exactly once: started while a worker ran or
// inside the window, skipped-catchup before it; each started fire's order
// exists once.
func TestSchedulesWorkersKilledPostgres(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	mail := ordertest.StartMailServer(t, nil)
	dir := t.TempDir()
	args := []string{"--postgres", url, "--smtp-url", mail.URL(), "--mail-from", "Shop <shop@example.com>",
		"--data-dir", filepath.Join(dir, "unused")}
	workers := []*serveProcess{startServe(t, args...), startServe(t, args...), startServe(t, args...)}
	cli := func(server string, args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, append(args, "--server", server)...)
		if err != nil {
			t.Fatalf("ordo %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	flowFile := filepath.Join(dir, "box.json")
	if err := os.WriteFile(flowFile, []byte(`[{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
		"options": {"recipients": ["ops@example.com"], "subject": "Order {{.Order.ID}}", "message": "New order."}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(workers[0].URL, "flows", "apply", "box", flowFile)
	cli(workers[1].URL, "schedules", "create", "tick", "--every", "1s", "--overlap", "allow_all", "--catchup-window", "5s",
		"--flow", "box", "--order", `{"customer": {"name": "Ada", "email": "ada@example.com"}, "items": [{"sku": "BOX", "quantity": 1}]}`)
	// 20 s of an every-1s schedule on three workers, one SIGKILLed half-way
	// (real seconds pass: the schedule fires on every worker's clock).
	time.Sleep(10 * time.Second)
	workers[2].kill()
	time.Sleep(10 * time.Second)
	stopping := time.Now() // from here the workers stop claiming, one after the other
	for _, w := range workers[:2] {
		if err := w.stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
	}
	stoppedAt := time.Now()
	time.Sleep(30 * time.Second) // every worker stopped for 30 s, longer than the 5 s window
	restartedAt := time.Now()
	again := startServe(t, args...)
	readyAt := time.Now()
	time.Sleep(3 * time.Second)

	st, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var fires []*store.ScheduleFire
	// A fire the killed worker held stays pending until its 30 s lease
	// ends and a running worker takes it over.
	waitUntil(t, 60*time.Second, "no fire is pending", func() bool {
		if fires, err = st.ScheduleFires(t.Context(), "tick", store.MaxScheduleList); err != nil {
			t.Fatal(err)
		}
		for _, f := range fires {
			if f.Outcome == store.FirePending {
				return false
			}
		}
		return true
	})
	// Every claim happened before now: a fire skipped for the catch-up
	// window is more than the window older than now.
	checkedAt := time.Now()
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
	// The restarted worker went on firing until it stopped: read the fires
	// again now that no worker runs, so the orders counted below and the
	// fires compared with them are of the same moment. Only the newest fire
	// may have been left pending by the stop (its order created or not).
	if fires, err = st.ScheduleFires(t.Context(), "tick", store.MaxScheduleList); err != nil {
		t.Fatal(err)
	}
	if len(fires) < 45 {
		t.Fatalf("only %d fires", len(fires))
	}
	started, skipped := 0, 0
	fireOf := make(map[string]*store.ScheduleFire, len(fires))
	for i, f := range fires { // newest first
		fireOf[f.InstanceID] = f
		if i > 0 && !fires[i-1].ScheduledAt.Equal(f.ScheduledAt.Add(time.Second)) {
			t.Errorf("fires %s and %s are not one second apart", f.ScheduledAt, fires[i-1].ScheduledAt)
		}
		switch f.Outcome {
		case store.FirePending:
			if i != 0 {
				t.Errorf("fire %s still pending after every worker stopped", f.ScheduledAt)
			}
		case store.FireStarted, store.FireAlreadyExisted:
			// already_existed: a worker was killed between creating the
			// order and recording the fire; the worker that took the fire
			// over found the order.
			started++
			if f.ScheduledAt.After(stoppedAt.Add(time.Second)) && f.ScheduledAt.Before(restartedAt.Add(-5*time.Second)) {
				t.Errorf("fire %s started although it is older than the catch-up window at the restart", f.ScheduledAt)
			}
			if _, err := st.InstanceGet(t.Context(), f.InstanceID); err != nil {
				t.Errorf("order of fire %s: %v", f.ScheduledAt, err)
			}
		case store.FireSkippedCatchup:
			skipped++
			// Running workers claim each fire within a poll interval; only a
			// claim late by more than the 5 s window (a stalled machine)
			// skips a fire due before the downtime.
			if f.ScheduledAt.Before(stopping.Add(-5*time.Second)) || !f.ScheduledAt.Before(checkedAt.Add(-5*time.Second)) {
				t.Errorf("fire %s skipped, outside the downtime (%s..%s)", f.ScheduledAt, stopping, readyAt)
			}
		default:
			t.Errorf("fire %s: %s %s", f.ScheduledAt, f.Outcome, f.Error)
		}
	}
	if skipped == 0 {
		t.Error("no fire of the downtime was skipped")
	}
	page, err := st.InstanceList(t.Context(), &store.InstanceListParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	orders := 0
	for _, in := range page.Instances {
		if !strings.HasPrefix(in.ID, "sched:tick:") {
			continue
		}
		f := fireOf[in.ID]
		switch {
		case f == nil:
			t.Errorf("order %s has no fire", in.ID)
		case f.Outcome == store.FirePending: // the newest, cut by the stop after its create
		default:
			orders++
		}
	}
	if orders != started {
		t.Errorf("%d orders for %d started fires", orders, started)
	}
	t.Logf("%d fires: %d started, %d skipped-catchup", len(fires), started, skipped)
}
