package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/schedule"
)

// Input is the workflow's params: who asked and how it was started.
type Input struct {
	Name    string `json:"name"`
	Trigger string `json:"trigger"`
}

// Output is the workflow's result (the seed's WorkflowResponse).
type Output struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
	Report  string `json:"report"`
}

// Step is a named step (the seed's createStep): Run does the work with the
// services it resolves from the container and returns what Undo needs to
// roll it back if a later step fails. A step with a nil Undo has nothing to
// roll back.
type Step[In, Out, U any] struct {
	Name string
	Run  func(ctx context.Context, c *Container, in In) (Out, U, error)
	Undo func(ctx context.Context, c *Container, undo U) error
}

// Do runs the step durably inside a workflow: its result is recorded under
// its name, and its roll-back, if any, runs when the workflow fails later.
func (s *Step[In, Out, U]) Do(ctx context.Context, c *Container, in In) (Out, error) {
	run := func(ctx context.Context) (Out, U, error) { return s.Run(ctx, c, in) }
	if s.Undo == nil {
		return ordo.Do(ctx, s.Name, nil, func(ctx context.Context) (Out, error) {
			out, _, err := run(ctx)
			return out, err
		})
	}
	return ordo.DoWithCompensation(ctx, s.Name, nil, run,
		func(ctx context.Context, u U) error { return s.Undo(ctx, c, u) })
}

// none is the roll-back data of a step that has none.
type none struct{}

// The seed's steps.
var (
	// step1 is the seed's first step.
	step1 = &Step[struct{}, string, none]{Name: "step-1",
		Run: func(context.Context, *Container, struct{}) (string, none, error) {
			return "Hello from step one!", none{}, nil
		}}
	// step2 is the seed's second step, which takes the input's name.
	step2 = &Step[Input, string, none]{Name: "step-2",
		Run: func(_ context.Context, _ *Container, in Input) (string, none, error) {
			return fmt.Sprintf("Hello %s from step two!", in.Name), none{}, nil
		}}
	// getProductCount is the seed's get-product-count step: it resolves
	// the product service from the container.
	getProductCount = &Step[struct{}, int, none]{Name: "get-product-count",
		Run: func(ctx context.Context, c *Container, _ struct{}) (int, none, error) {
			products, err := Resolve[*Products](c, "product")
			if err != nil {
				return 0, none{}, ordo.NonRetryable(err)
			}
			n, err := products.Count(ctx)
			return n, none{}, err
		}}
	// saveReport writes the instance's report; its roll-back deletes it.
	saveReport = &Step[report, string, string]{Name: "save-report",
		Run: func(ctx context.Context, c *Container, r report) (string, string, error) {
			reports, err := Resolve[*Reports](c, "report")
			if err != nil {
				return "", "", ordo.NonRetryable(err)
			}
			info, _ := ordo.StepInfoFrom(ctx) // one report per instance
			return info.InstanceID, info.InstanceID, reports.Save(ctx, info.InstanceID, r.Trigger, r.Count)
		},
		Undo: func(ctx context.Context, c *Container, id string) error {
			reports, err := Resolve[*Reports](c, "report")
			if err != nil {
				return err
			}
			return reports.Delete(ctx, id)
		}}
	// notify announces the report; when it fails, save-report rolls back.
	notify = &Step[string, bool, none]{Name: "notify",
		Run: func(ctx context.Context, c *Container, message string) (bool, none, error) {
			n, err := Resolve[Notifier](c, "notifier")
			if err != nil {
				return false, none{}, ordo.NonRetryable(err)
			}
			return true, none{}, n.Notify(ctx, message)
		}}
)

// report is what save-report writes.
type report struct {
	Trigger string `json:"trigger"`
	Count   int    `json:"count"`
}

// WorkflowName is the workflow's name (the seed's createWorkflow's first
// argument).
const WorkflowName = "product-count"

// NewWorkflow composes the steps into the product-count workflow. Besides
// API routes, every published "order.placed" event starts it once (the
// seed's subscriber), and the Schedule below starts it every hour (the
// seed's scheduled job).
func NewWorkflow(c *Container) *ordo.Workflow[Input, Output] {
	return ordo.NewWorkflow(WorkflowName, func(ctx context.Context, in Input) (Output, error) {
		if _, err := step1.Do(ctx, c, struct{}{}); err != nil {
			return Output{}, err
		}
		message, err := step2.Do(ctx, c, in)
		if err != nil {
			return Output{}, err
		}
		count, err := getProductCount.Do(ctx, c, struct{}{})
		if err != nil {
			return Output{}, err
		}
		id, err := saveReport.Do(ctx, c, report{Trigger: in.Trigger, Count: count})
		if err != nil {
			return Output{}, err
		}
		if _, err := notify.Do(ctx, c, fmt.Sprintf("%s: %d products (%s)", message, count, in.Trigger)); err != nil {
			return Output{}, err
		}
		return Output{Message: message, Count: count, Report: id}, nil
	}).On("order.placed", ordo.SubscriptionName("order-placed-count"), ordo.ParamsFrom(orderPlaced))
}

// orderPlaced is the subscriber: it turns an order.placed event into the
// workflow's input.
func orderPlaced(ev *ordo.PublishedEvent) (Input, error) {
	var order struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(ev.Payload, &order); err != nil || order.ID == "" {
		return Input{}, fmt.Errorf("%w: order.placed payload needs a string id", ordo.ErrInvalidArgument)
	}
	return Input{Name: "order " + order.ID, Trigger: "order.placed"}, nil
}

// ScheduleID is the scheduled job's id.
const ScheduleID = "hourly-product-count"

// Schedule is the seed's scheduled job: every hour, count the products.
func Schedule() *schedule.Spec {
	return &schedule.Spec{ID: ScheduleID, Every: "1h", Workflow: WorkflowName,
		Params: json.RawMessage(`{"name": "scheduler", "trigger": "schedule"}`)}
}
