package main

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// instancesStepResultCmds are `ordo instances complete-step` and
// `fail-step`: they report the result of an asynchronous step.
func instancesStepResultCmds(cf *clientFlags) []*cobra.Command {
	var output string
	complete := &cobra.Command{
		Use:   "complete-step ID KEY",
		Short: "Report the output of an asynchronous step (KEY like ship#1)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if output != "" {
				if !json.Valid([]byte(output)) {
					return fmt.Errorf("--output is not valid JSON")
				}
				body["output"] = json.RawMessage(output)
			}
			return postStepResult(cmd, cf, args, "complete", body, "completed")
		},
	}
	complete.Flags().StringVar(&output, "output", "", "the step's output as JSON (default null)")

	var message string
	var nonRetryable bool
	fail := &cobra.Command{
		Use:   "fail-step ID KEY",
		Short: "Report that an asynchronous step failed (retried per its policy)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if message == "" {
				return fmt.Errorf("--error is required")
			}
			body := map[string]any{"error": message, "nonRetryable": nonRetryable}
			return postStepResult(cmd, cf, args, "fail", body, "failed")
		},
	}
	fail.Flags().StringVar(&message, "error", "", "what went wrong (required)")
	fail.Flags().BoolVar(&nonRetryable, "non-retryable", false, "fail the step for good instead of retrying it")
	return []*cobra.Command{complete, fail}
}

func postStepResult(cmd *cobra.Command, cf *clientFlags, args []string, route string, body map[string]any, done string) error {
	path := "/v1/instances/" + url.PathEscape(args[0]) + "/steps/" + url.PathEscape(args[1]) + "/" + route
	raw, _, err := cf.client().do(cmd.Context(), "POST", path, body, nil)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "step %s of %s %s\n", args[1], args[0], done)
	return nil
}
