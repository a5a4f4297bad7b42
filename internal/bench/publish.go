package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// PublishOptions configure RunPublish.
type PublishOptions struct {
	N          int           // events; default 1000
	Submitters int           // concurrent publishers; default 1
	Start      string        // "inprocess" (Engine.Publish, default) or "http" (POST /v1/events)
	Dir        string        // scratch directory; default a new temp dir, removed after
	Baseline   time.Duration // baseline measurement length; default 3 s
}

// PublishResult is one publishing run on SQLite: N events, each matching
// two subscriptions (so 2N instances of a workflow without steps).
type PublishResult struct {
	Backend    string `json:"backend"`
	Start      string `json:"start"`
	N          int    `json:"n"`
	Submitters int    `json:"submitters"`
	// AcceptS is the time to publish the N events (each durable, with its
	// two instances, when Publish or the POST returns).
	AcceptS    float64 `json:"accept_s"`
	EventsPerS float64 `json:"events_per_s"`
	InstancesS float64 `json:"instances_done_s"`
	StartedMS  Latency `json:"event_to_instance_started_ms"`
	// CommitsPerE is the publish transactions per event: below 1 when
	// concurrent publishes share one (the engine's group commit).
	CommitsPerE float64 `json:"commits_per_event"`
	// BaselineCommitsPerS is the one-row-per-commit insert rate of the
	// same disk (sqlite.MeasureInsertBaseline), measured in the same run.
	BaselineCommitsPerS float64 `json:"baseline_commits_per_s"`
	EventsOverBaseline  float64 `json:"events_per_s_over_baseline"`
}

// RunPublish measures publishing: the baseline first, then N events
// through Engine.Publish or POST /v1/events.
func RunPublish(ctx context.Context, o PublishOptions) (*PublishResult, error) {
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Submitters <= 0 {
		o.Submitters = 1
	}
	if o.Start == "" {
		o.Start = "inprocess"
	}
	if o.Start != "inprocess" && o.Start != "http" {
		return nil, fmt.Errorf("start must be inprocess or http, got %q", o.Start)
	}
	if o.Baseline <= 0 {
		o.Baseline = 3 * time.Second
	}
	st, baseline, cleanup, err := openSQLite(ctx, o.Dir, o.Baseline)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var finished atomic.Int64
	allDone := make(chan struct{})
	cst := &countingStore{Store: st}
	e, err := ordo.NewEngine(ordo.Config{Store: cst, Concurrency: 64, PollInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), OnFinish: func(string, ordo.Status) {
			if finished.Add(1) == int64(2*o.N) {
				close(allDone)
			}
		}})
	if err != nil {
		return nil, err
	}
	done := func(ctx context.Context, in input) (output, error) { return output{Payload: filler}, nil }
	if err := e.Register(
		ordo.NewWorkflow("bench-ship", done).On("order.placed"),
		ordo.NewWorkflow("bench-bill", done).On("order.placed", ordo.If("payload.n >= 0")),
	); err != nil {
		return nil, err
	}
	publish := func(ctx context.Context, i int) error {
		_, _, err := e.Publish(ctx, ordo.PublishEvent{ID: fmt.Sprintf("ev-%d", i), Type: "order.placed",
			Payload: input{N: i, Payload: filler}})
		return err
	}
	if o.Start == "http" {
		base, key, stop, err := serveAPI(ctx, cst, e)
		if err != nil {
			return nil, err
		}
		defer stop()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		publish = func(ctx context.Context, i int) error {
			return post(ctx, client, base+"/v1/events", key, map[string]any{"id": fmt.Sprintf("ev-%d", i),
				"type": "order.placed", "payload": input{N: i, Payload: filler}}, http.StatusAccepted)
		}
	}
	if err := e.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(sctx)
	}()
	t0 := time.Now()
	if err := submit(ctx, o.N, o.Submitters, publish); err != nil {
		return nil, err
	}
	accept := time.Since(t0)
	select {
	case <-allDone:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	all := time.Since(t0)
	started, err := startLatencies(ctx, st)
	if err != nil {
		return nil, err
	}
	r := &PublishResult{Backend: "sqlite", Start: o.Start, N: o.N, Submitters: o.Submitters,
		AcceptS: accept.Seconds(), EventsPerS: float64(o.N) / accept.Seconds(), InstancesS: all.Seconds(),
		StartedMS: percentiles(started), CommitsPerE: float64(cst.batches.Load()) / float64(o.N), BaselineCommitsPerS: baseline}
	r.StartedMS.P95 = 0
	r.EventsOverBaseline = r.EventsPerS / baseline
	return r, nil
}

// startLatencies returns, per instance, the time from its creation (the
// publish) to its start.
func startLatencies(ctx context.Context, st store.Store) ([]time.Duration, error) {
	var out []time.Duration
	cursor := ""
	for {
		page, err := st.InstanceList(ctx, &store.InstanceListParams{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, in := range page.Instances {
			if in.StartedAt != nil {
				out = append(out, in.StartedAt.Sub(in.CreatedAt))
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// countingStore counts the publish transactions.
type countingStore struct {
	*sqlite.Store
	batches atomic.Int64
}

func (c *countingStore) EventPublishBatch(ctx context.Context, ps []*store.EventPublishParams) ([]store.PublishOutcome, error) {
	c.batches.Add(1)
	return c.Store.EventPublishBatch(ctx, ps)
}
