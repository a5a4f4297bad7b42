package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

func init() { register(newFlowsCmd) }

func newFlowsCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:     "flows",
		Aliases: []string{"flow"},
		Short:   "Validate order flows offline; apply, list and show them on a running server",
	}
	cf.add(cmd)
	cmd.AddCommand(newFlowsValidateCmd(), flowsApplyCmd(cf), flowsListCmd(cf), flowsGetCmd(cf),
		flowsVersionsCmd(cf), flowsDiffCmd(cf))
	return cmd
}

func flowsApplyCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "apply NAME FILE",
		Short: "Store a flow as the next version of NAME (identical content is a no-op)",
		Long: "Send FILE (the seed's JSON array of step definitions, or an object with \"steps\") to the\n" +
			"server as flow NAME. A changed flow becomes a new version; orders already running keep the\n" +
			"version they started with. An invalid flow prints every problem and exits with status 1.\n" +
			"FILE - reads standard input.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, file := args[0], args[1]
			data, err := readFileArg(cmd, file)
			if err != nil {
				return err
			}
			var res order.FlowResponse
			raw, _, err := cf.client().do(cmd.Context(), "PUT", "/v1/flows/"+url.PathEscape(name), data, &res)
			if err != nil {
				return flowsAPIError(cmd.ErrOrStderr(), file, err)
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if res.Created {
				fmt.Fprintf(cmd.OutOrStdout(), "flow %s: version %d created\n", res.Name, res.Version)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "flow %s: unchanged, version %d\n", res.Name, res.Version)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s [%s]\n", file, w, w.Code)
			}
			return nil
		},
	}
}

// flowsAPIError prints the problems of an invalid flow, one per line, and
// returns an exit-1 error; other errors are returned as they are.
func flowsAPIError(w io.Writer, file string, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != order.CodeInvalidFlow {
		return err
	}
	var problems []flow.Problem
	if json.Unmarshal(ae.Details, &problems) != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(w, "%s: %s [%s]\n", file, p, p.Code)
	}
	return &exitError{code: 1, err: fmt.Errorf("%s: invalid flow: %d problem(s)", file, len(problems))}
}

func flowsListCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the flows with their latest version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Flows []*store.FlowVersion `json:"flows"`
			}
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/flows", nil, &res)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tHASH\tCREATED")
			for _, v := range res.Flows {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", v.Name, v.Version, truncate(v.Hash, 12), v.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
}

func flowsGetCmd(cf *clientFlags) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Print a flow's definition (the latest version, or --version)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/v1/flows/" + url.PathEscape(args[0])
			if version > 0 {
				path += "?version=" + strconv.Itoa(version)
			}
			var v store.FlowVersion
			raw, _, err := cf.client().do(cmd.Context(), "GET", path, nil, &v)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "flow %s version %d (%s)\n", v.Name, v.Version, v.CreatedAt.Local().Format(time.DateTime))
			return printJSON(cmd.OutOrStdout(), v.Definition)
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "version to show (default: the latest)")
	return cmd
}

func flowsVersionsCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "versions NAME",
		Short: "List every version of a flow: when it was applied, from where, and how many orders run on it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res struct {
				Versions []order.FlowVersionInfo `json:"versions"`
			}
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/flows/"+url.PathEscape(args[0])+"/versions", nil, &res)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tAPPLIED\tSOURCE\tORDERS\tHASH")
			for _, v := range res.Versions {
				orders := strconv.Itoa(v.Orders)
				if v.Orders < 0 {
					orders = "?"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Version, v.CreatedAt.Local().Format(time.DateTime),
					dash(v.Source), orders, truncate(v.Hash, 12))
			}
			return tw.Flush()
		},
	}
}

func flowsDiffCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "diff NAME FROM TO",
		Short: "Show what changed between two versions of a flow, line by line (- removed, + added)",
		Long: "Compare versions FROM and TO of flow NAME: their definitions pretty-printed as JSON, in\n" +
			"hunks with three lines of context. A diff longer than the server's budget is cut there,\n" +
			"with a message saying how many lines were left out.",
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"from": {args[1]}, "to": {args[2]}}
			var d order.FlowDiff
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/flows/"+url.PathEscape(args[0])+"/diff?"+q.Encode(), nil, &d)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printFlowDiff(cmd.OutOrStdout(), cmd.ErrOrStderr(), &d)
		},
	}
}

// printFlowDiff writes a flow diff as a unified diff; the message of a
// truncated one goes to errOut.
func printFlowDiff(w, errOut io.Writer, d *order.FlowDiff) error {
	if len(d.Lines) == 0 {
		_, err := fmt.Fprintf(w, "flow %s: versions %d and %d are the same\n", d.Name, d.From, d.To)
		return err
	}
	fmt.Fprintf(w, "--- flow %s version %d\n+++ flow %s version %d\n", d.Name, d.From, d.Name, d.To)
	for _, l := range d.Lines {
		prefix := " "
		switch l.Op {
		case order.DiffAdded:
			prefix = "+"
		case order.DiffRemoved:
			prefix = "-"
		case order.DiffHunk:
			prefix = ""
		}
		fmt.Fprintf(w, "%s%s\n", prefix, l.Text)
	}
	if d.Truncated {
		fmt.Fprintf(errOut, "ordo: %s\n", d.Message)
	}
	_, err := fmt.Fprintf(w, "%d line(s) added, %d removed\n", d.Added, d.Removed)
	return err
}
