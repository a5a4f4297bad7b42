package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/order"
)

// newFlowsValidateCmd returns "validate FILE": it checks an order-flow file
// offline, without a server. A valid flow prints "ok: N steps" and its
// warnings; an invalid one prints one line per problem to stderr and exits
// with status 1. FILE "-" reads standard input.
func newFlowsValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an order-flow JSON file without a server",
		Long: "Validate an order-flow definition (a JSON array of step definitions, or an object\n" +
			"with \"steps\") and report every problem at once, each with its JSON path and step id.\n" +
			"Warnings (unreachable steps) do not fail validation. FILE - reads standard input.",
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			data, err := readFlowFile(cmd, name)
			if err != nil {
				return err
			}
			res, err := order.ParseFlow(data) // templates checked against the order
			var verr *flow.ValidationError
			if errors.As(err, &verr) {
				for _, p := range verr.Problems {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s [%s]\n", name, p, p.Code)
				}
				printWarnings(cmd.ErrOrStderr(), name, res)
				return &exitError{code: 1, err: fmt.Errorf("%s: invalid flow: %d problem(s)", name, len(verr.Problems))}
			}
			if err != nil {
				return fmt.Errorf("validate %s: %w", name, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d steps\n", len(res.Definition.Steps))
			printWarnings(cmd.OutOrStdout(), name, res)
			return nil
		},
	}
}

func readFlowFile(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read flow from stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read flow: %w", err)
	}
	return data, nil
}

func printWarnings(w io.Writer, name string, res *flow.Result) {
	if res == nil {
		return
	}
	for _, p := range res.Warnings {
		fmt.Fprintf(w, "%s: warning: %s [%s]\n", name, p, p.Code)
	}
}
