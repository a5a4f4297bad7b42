package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/order"
)

func init() { register(newOrdersCmd) }

func newOrdersCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:     "orders",
		Aliases: []string{"order", "o"},
		Short:   "Create orders and follow them through their flows on a running server",
	}
	cf.add(cmd)
	cmd.AddCommand(ordersCreateCmd(cf), ordersGetCmd(cf), ordersListCmd(cf), ordersFileCmd(cf), ordersCancelCmd(cf), ordersRestartCmd(cf), ordersDeleteCmd(cf), auditOfCmd(cf, "orders"),
		bulkCmd(cf, "orders", "/v1/orders/bulk", []bulkFlag{
			{flag: "status", field: "status", help: `only orders with this status, e.g. Failed or "In progress"`},
			{flag: "flow", field: "flow", help: "only orders of this flow"},
		}))
	return cmd
}

func ordersCreateCmd(cf *clientFlags) *cobra.Command {
	var wait time.Duration
	var priority int
	cmd := &cobra.Command{
		Use:   "create FILE",
		Short: "Create an order from a JSON file and start its flow",
		Long: "Create an order from FILE (FILE - reads standard input):\n\n" +
			`  {"id": "optional", "flow": "NAME", "customer": {"name": "...", "email": "..."},` + "\n" +
			`   "items": [{"sku": "...", "quantity": 1, "product": {"template": "ring", "parameters": {"size": 7}}}],` + "\n" +
			`   "metadata": {...}}` + "\n\n" +
			"Creating the same id again with the same content returns the existing order.\n" +
			"--priority sets the order's priority (-100..100), replacing the file's.\n" +
			"With --wait, wait that long for the order's flow to finish (complete or errored) and print the order.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readFileArg(cmd, args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("priority") {
				if data, err = withPriority(data, priority); err != nil {
					return err
				}
			}
			var o order.Order
			raw, status, err := cf.client().do(cmd.Context(), "POST", "/v1/orders"+waitQuery(wait), data, &o)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			switch {
			case wait > 0 && status == 200:
				return describeOrder(cmd.OutOrStdout(), &o)
			case wait > 0:
				fmt.Fprintf(cmd.OutOrStdout(), "order %s is still %s (%s) after %s: ordo orders get %s\n", o.ID, o.Status, o.InstanceStatus, wait, o.ID)
				return nil
			}
			verb := "created"
			if status == 200 {
				verb = "exists"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "order %s %s: flow %s v%d, status %s\n", o.ID, verb, o.Flow, o.FlowVersion, o.Status)
			return nil
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long (e.g. 30s) for the order's flow to finish and print the order")
	cmd.Flags().IntVar(&priority, "priority", 0, "the order's priority, -100..100 (higher starts first when workers are busy)")
	return cmd
}

// withPriority sets the "priority" of the order document data; the server
// checks its range.
func withPriority(data []byte, priority int) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the order file is not a JSON object: %w", err)
	}
	doc["priority"] = json.RawMessage(strconv.Itoa(priority))
	return json.Marshal(doc)
}

func ordersGetCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Aliases: []string{"describe", "show"},
		Short:   "Show an order: status history, files and steps",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o order.Order
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/orders/"+url.PathEscape(args[0]), nil, &o)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return describeOrder(cmd.OutOrStdout(), &o)
		},
	}
}

// describeOrder prints an order for people.
func describeOrder(w io.Writer, o *order.Order) error {
	fmt.Fprintf(w, "Order     %s\nFlow      %s (version %d)\nStatus    %s\nInstance  %s (%s)\n",
		o.ID, o.Flow, o.FlowVersion, o.Status, o.InstanceID, o.InstanceStatus)
	fmt.Fprintf(w, "Customer  %s <%s>\nCreated   %s\n", o.Customer.Name, o.Customer.Email, o.CreatedAt.Local().Format(time.RFC3339))
	if o.Priority != 0 {
		fmt.Fprintf(w, "Priority  %d\n", o.Priority)
	}
	if o.Error != nil {
		writeWrapped(w, "Error     ", o.Error.Message)
	}
	if o.Cancelling {
		fmt.Fprintln(w, "Cancel    accepted; compensations running")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nItems\n  #\tSKU\tQTY\tPRODUCT")
	for i, it := range o.Items {
		product := "-"
		if it.Product != nil {
			product = it.Product.Template + " " + compactValue(it.Product.Parameters)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\n", i, it.SKU, it.Quantity, product)
	}
	fmt.Fprintln(tw, "\nStatus history\n  AT\tRUN\tSTATUS\tSET BY")
	for _, c := range o.StatusHistory {
		by := dash(c.Step)
		if c.Restart != nil {
			by = c.Restart.Message
			if c.Restart.Reason != "" {
				by += ": " + c.Restart.Reason
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.At.Local().Format(time.DateTime), runLabel(c.Run), c.Status, by)
	}
	if len(o.Files) > 0 {
		fmt.Fprintln(tw, "\nFiles\n  NAME\tITEM\tSIZE\tSHA256\tURL")
		for _, f := range o.Files {
			url := f.URL
			if f.Cancelled {
				url += " (order cancelled)"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", f.Name, f.Item, f.Size, truncate(f.SHA256, 12), url)
		}
	}
	var notes errorNotes
	fmt.Fprintln(tw, "\nSteps\n  STEP\tSTATUS\tATTEMPTS\tFINISHED\tDETAIL")
	for _, s := range o.Steps {
		detail := ""
		switch {
		case s.Error != nil:
			detail = notes.cell(s.Error.Message)
		case s.Status == "retrying" && s.NextAttemptAt != nil:
			detail = "next attempt " + s.NextAttemptAt.Local().Format(time.RFC3339)
		case len(s.Output) > 0:
			detail = truncate(compact(s.Output), 80)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", s.Key, s.Status, s.Attempts, fmtTimePtr(s.FinishedAt), detail)
	}
	if err := notes.flush(tw, w); err != nil {
		return err
	}
	return printRuns(w, o.Runs)
}

func runLabel(run int) string {
	if run == 0 {
		return "1"
	}
	return fmt.Sprint(run)
}

func ordersListCmd(cf *clientFlags) *cobra.Command {
	var status, flowName, cursor string
	search := &searchFlags{orders: true}
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List orders, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			for k, v := range map[string]string{"status": status, "flow": flowName, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			search.set(q)
			var page order.OrderPage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/orders?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFLOW\tSTATUS\tINSTANCE\tCUSTOMER\tCREATED")
			for _, o := range page.Orders {
				fmt.Fprintf(tw, "%s\t%s v%d\t%s\t%s\t%s\t%s\n", o.ID, o.Flow, o.FlowVersion, o.Status, o.InstanceStatus,
					o.Customer.Email, o.CreatedAt.Local().Format(time.DateTime))
			}
			if page.NextCursor != "" {
				fmt.Fprintf(tw, "\nmore: --cursor %s\n", page.NextCursor)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", `only orders with this status, in any case, e.g. "in progress" or created`)
	cmd.Flags().StringVar(&flowName, "flow", "", "only orders of this flow")
	search.flags(cmd)
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue from a previous page")
	cmd.Flags().IntVar(&limit, "limit", 50, "page size (1-1000)")
	return cmd
}

func ordersFileCmd(cf *clientFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "file ID NAME",
		Short: "Download a production file of an order",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, err := cf.client().do(cmd.Context(), "GET",
				"/v1/orders/"+url.PathEscape(args[0])+"/files/"+url.PathEscape(args[1]), nil, nil)
			if err != nil {
				return err
			}
			if out == "" {
				out = args[1]
			}
			if out == "-" {
				_, err = cmd.OutOrStdout().Write(raw)
				return err
			}
			if err := os.WriteFile(out, raw, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes)\n", out, len(raw))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default: NAME in the current directory; - for standard output)")
	return cmd
}

// compactValue prints a small value as compact JSON.
func compactValue(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return compact(b)
}

func ordersDeleteCmd(cf *clientFlags) *cobra.Command {
	return deleteCmd(cf, "/v1/orders/", "Delete a finished order with its instance, status history and production files (admin)")
}
