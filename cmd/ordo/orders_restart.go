package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/order"
)

func ordersRestartCmd(cf *clientFlags) *cobra.Command {
	var from, version, paramsFile, reason string
	var merge, rerun bool
	cmd := &cobra.Command{
		Use:   "restart ID",
		Short: "Run an order's flow again, from a step, on another flow version or with an edited order",
		Long: "Run an order's flow again as a new run (the earlier run's steps and attempts are kept: ordo orders\n" +
			"get shows them). --flow-version latest (or N) moves the order to that version of its flow when\n" +
			"every step the restart keeps is in it with the same type; --params-file replaces the order\n" +
			"document (customer, items, metadata), or with --merge applies it as a JSON merge patch.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"fromStep": from, "reason": reason, "rerunCompensated": rerun}
			if version != "" {
				if n, err := strconv.Atoi(version); err == nil {
					body["flowVersion"] = n
				} else {
					body["flowVersion"] = version
				}
			}
			if paramsFile != "" {
				b, err := readFileArg(cmd, paramsFile)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return fmt.Errorf("--params-file %s is not valid JSON", paramsFile)
				}
				body["params"] = json.RawMessage(b)
				body["paramsMode"] = order.ParamsReplace
				if merge {
					body["paramsMode"] = order.ParamsMerge
				}
			} else if merge {
				return fmt.Errorf("--merge needs --params-file")
			}
			var o order.Order
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/orders/"+url.PathEscape(args[0])+"/restart", body, &o)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: run %d on %s version %d, %s (%s)\n", o.ID, o.Run, o.Flow, o.FlowVersion, o.InstanceStatus, o.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from-step", "", "stepDefinitionId to restart from (earlier results are kept)")
	cmd.Flags().StringVar(&version, "flow-version", "", `flow version to run: "latest" or a number (default: the order's)`)
	cmd.Flags().StringVar(&paramsFile, "params-file", "", "JSON file with the new order document (customer, items, metadata)")
	cmd.Flags().BoolVar(&merge, "merge", false, "apply --params-file as a JSON merge patch of the order document")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	cmd.Flags().BoolVar(&rerun, "rerun-compensated", false, "restart from a step even though compensations undid earlier steps (they run again)")
	return cmd
}
