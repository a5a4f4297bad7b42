package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ordohq/ordo"
)

// Workloads names the supported workloads.
var Workloads = []string{"WF3", "WF0", "WF3-fail", "WF3-comp", "WF3-sleep", "FAN10"}

// input is the ~100 byte workflow input.
type input struct {
	N       int    `json:"n"`
	Payload string `json:"payload"`
}

// output is the ~100 byte step result.
type output struct {
	Step    int    `json:"step"`
	Payload string `json:"payload"`
}

var filler = strings.Repeat("x", 80)

// stepsPer returns the steps one instance of the workload runs.
func stepsPer(workload string) int {
	switch workload {
	case "WF0":
		return 0
	case "FAN10":
		return 10
	}
	return 3
}

var errBench = errors.New("bench: injected failure")

func noop(i int) func(context.Context) (output, error) {
	return func(context.Context) (output, error) { return output{Step: i, Payload: filler}, nil }
}

// workflow returns the workflow definition of a workload.
func workflow(workload string) (*ordo.Workflow[input, output], error) {
	opts := &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 3, Delay: 0}}
	switch workload {
	case "WF0":
		return ordo.NewWorkflow("bench-wf0", func(ctx context.Context, in input) (output, error) {
			return output{Payload: filler}, nil
		}), nil
	case "WF3", "WF3-fail", "WF3-sleep":
		return ordo.NewWorkflow("bench-"+strings.ToLower(workload), func(ctx context.Context, in input) (output, error) {
			var last output
			for i := range 3 {
				if i == 1 && workload == "WF3-sleep" {
					if err := ordo.Sleep(ctx, "nap", time.Second); err != nil {
						return last, err
					}
				}
				fn := noop(i)
				if i == 1 && workload == "WF3-fail" && in.N%100 == 0 {
					fn = func(ctx context.Context) (output, error) {
						if info, _ := ordo.StepInfoFrom(ctx); info.Attempt == 1 {
							return output{}, errBench
						}
						return output{Step: i, Payload: filler}, nil
					}
				}
				var err error
				last, err = ordo.Do(ctx, fmt.Sprintf("step-%d", i), opts, fn)
				if err != nil {
					return last, err
				}
			}
			return last, nil
		}), nil
	case "WF3-comp":
		return ordo.NewWorkflow("bench-wf3-comp", func(ctx context.Context, in input) (output, error) {
			var last output
			for i := range 3 {
				var err error
				last, err = ordo.DoWithCompensation(ctx, fmt.Sprintf("step-%d", i), opts,
					func(context.Context) (output, int, error) {
						if i == 2 && in.N%100 == 0 {
							return output{}, 0, ordo.NonRetryable(errBench)
						}
						return output{Step: i, Payload: filler}, i, nil
					},
					func(context.Context, int) error { return nil })
				if err != nil {
					return last, err
				}
			}
			return last, nil
		}), nil
	case "FAN10":
		return ordo.NewWorkflow("bench-fan10", func(ctx context.Context, in input) (output, error) {
			fs := make([]ordo.Awaitable, 10)
			for i := range 10 {
				fs[i] = ordo.Go(ctx, fmt.Sprintf("part-%d", i), opts, noop(i))
			}
			return output{Payload: filler}, ordo.Await(ctx, fs...)
		}), nil
	}
	return nil, fmt.Errorf("unknown workload %q (known: %s)", workload, strings.Join(Workloads, ", "))
}
