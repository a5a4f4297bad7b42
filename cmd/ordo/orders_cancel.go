package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/order"
)

func ordersCancelCmd(cf *clientFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel an order: stop its flow and run the compensations (onCompensate) of its steps, newest first",
		Long: "Cancel an order: its flow stops at once, the compensations of the steps that succeeded run " +
			"newest first (a refund, an apology e-mail), and the order ends with the flow's cancelStatus " +
			"(\"Cancelled\"). A finished order is refused unless its flow sets allowCancelAfterCompletion. " +
			"Follow it with `ordo orders get ID`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o order.Order
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/orders/"+url.PathEscape(args[0])+"/cancel",
				map[string]string{"reason": reason}, &o)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: cancelling (status %s, instance %s)\n", o.ID, o.Status, o.InstanceStatus)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded on the order and in the audit trail)")
	return cmd
}
