package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/retention"
)

// maxPurgeRequests bounds the requests one `instances purge --yes` sends
// (each deletes at most api.MaxPurgePerRequest).
const maxPurgeRequests = 10_000

func instancesPurgeCmd(cf *clientFlags) *cobra.Command {
	var olderThan string
	var statuses, workflows []string
	var yes bool
	cmd := &cobra.Command{
		Use:   "purge --older-than 7d [--status complete] [--workflow W] [--yes]",
		Short: "Delete finished instances older than a period (a dry run without --yes)",
		Long: `Delete the finished instances (complete, errored, terminated, cancelled)
that finished longer ago than --older-than, with their steps, events and
production files, as the server's retention does. Without --yes nothing is
deleted: the command prints how many instances would be. Needs an admin key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := retention.ParsePeriod(olderThan)
			if err == nil && d == 0 {
				err = fmt.Errorf("must be longer than 0")
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--older-than: %w", err)}
			}
			for i, s := range statuses {
				statuses[i] = strings.ToLower(s)
			}
			req := map[string]any{"olderThan": olderThan, "dryRun": !yes}
			if len(statuses) > 0 {
				req["statuses"] = statuses
			}
			if len(workflows) > 0 {
				req["workflows"] = workflows
			}
			out := cmd.OutOrStdout()
			total := 0
			for range maxPurgeRequests {
				var res api.PurgeResponse
				raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/instances/purge", req, &res)
				if err != nil {
					return err
				}
				if !yes {
					if cf.json {
						return printJSON(out, raw)
					}
					fmt.Fprintf(out, "%d finished instances finished before %s and would be deleted; run again with --yes to delete them\n",
						res.Matched, res.FinishedBefore)
					return nil
				}
				total += res.Deleted
				if !res.More {
					break
				}
			}
			if cf.json {
				return printJSON(out, []byte(fmt.Sprintf(`{"deleted":%d}`, total)))
			}
			fmt.Fprintf(out, "deleted %d finished instances\n", total)
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "delete instances that finished longer ago than this: days, hours or minutes (7d, 12h, 90m) (required)")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only instances with these statuses: complete, errored, terminated, cancelled (repeat or separate with commas)")
	cmd.Flags().StringSliceVar(&workflows, "workflow", nil, "only instances of these workflows (repeat or separate with commas)")
	cmd.Flags().BoolVar(&yes, "yes", false, "delete; without it the command only counts")
	_ = cmd.MarkFlagRequired("older-than")
	return cmd
}

func instancesDeleteCmd(cf *clientFlags) *cobra.Command {
	return deleteCmd(cf, "/v1/instances/", "Delete a finished instance with its steps, events and files (admin)")
}

// deleteCmd is `delete ID` of a resource whose DELETE route is prefix+ID:
// the server refuses what has not finished (409 not_finished).
func deleteCmd(cf *clientFlags, prefix, short string) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := cf.client().do(cmd.Context(), "DELETE", prefix+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
}
