package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

func init() { register(newSchedulesCmd) }

func newSchedulesCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:     "schedules",
		Aliases: []string{"schedule", "sched"},
		Short:   "Create, list and control durable schedules on a running server",
	}
	cf.add(cmd)
	cmd.AddCommand(
		schedulesCreateCmd(cf), schedulesListCmd(cf), schedulesDescribeCmd(cf),
		schedulesActionCmd(cf, "pause", "Stop a schedule firing"),
		schedulesActionCmd(cf, "resume", "Let a paused schedule fire again (missed fires inside its catch-up window run)"),
		schedulesTriggerCmd(cf), schedulesBackfillCmd(cf), schedulesDeleteCmd(cf),
	)
	return cmd
}

func schedulesCreateCmd(cf *clientFlags) *cobra.Command {
	var sp schedule.Spec
	var params, order, file string
	cmd := &cobra.Command{
		Use:   "create ID",
		Short: "Create a schedule that starts a workflow or creates a recurring order",
		Long: "Create a schedule: --cron (with --timezone) or --every, and what each fire starts: --workflow\n" +
			"with --params, or --flow with --order (an order body without id). Or give the whole schedule as\n" +
			"JSON with --file FILE (- for standard input); the flags then override its fields.",
		Example: "  ordo schedules create restock --cron '0 2 * * *' --timezone Europe/Brussels --flow restock --order @order.json\n" +
			"  ordo schedules create sync --every 15m --workflow sync --overlap buffer_one",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if file != "" {
				b, err := readFileArg(cmd, file)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &body); err != nil {
					return fmt.Errorf("--file: not a JSON object: %w", err)
				}
			}
			body["id"] = args[0]
			for name, v := range map[string]string{"cron": sp.Cron, "timezone": sp.Timezone, "every": sp.Every,
				"jitter": sp.Jitter, "overlap": string(sp.Overlap), "catchupWindow": sp.CatchupWindow,
				"workflow": sp.Workflow, "flow": sp.Flow} {
				if v != "" {
					body[name] = v
				}
			}
			if sp.Paused {
				body["paused"] = true
			}
			for name, v := range map[string]string{"params": params, "order": order} {
				if v == "" {
					continue
				}
				raw, err := jsonArg(cmd, "--"+name, v)
				if err != nil {
					return err
				}
				body[name] = raw
			}
			var v schedule.View
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/schedules", body, &v)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return describeSchedule(cmd.OutOrStdout(), &v)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sp.Cron, "cron", "", `cron expression ("0 2 * * *", "@daily")`)
	f.StringVar(&sp.Timezone, "timezone", "", "IANA time zone of --cron (default UTC)")
	f.StringVar(&sp.Every, "every", "", "fixed interval (15m, at least 1s)")
	f.StringVar(&sp.Jitter, "jitter", "", "delay each fire by up to this long")
	f.StringVar((*string)(&sp.Overlap), "overlap", "", "skip (default), buffer_one or allow_all")
	f.StringVar(&sp.CatchupWindow, "catchup-window", "", "how late a missed fire may still run (default 1h)")
	f.BoolVar(&sp.Paused, "paused", false, "create it paused")
	f.StringVar(&sp.Workflow, "workflow", "", "workflow each fire starts")
	f.StringVar(&params, "params", "", "params of --workflow as JSON, or @FILE")
	f.StringVar(&sp.Flow, "flow", "", "order flow of the recurring order each fire creates")
	f.StringVar(&order, "order", "", "the order body (without id) as JSON, or @FILE")
	f.StringVar(&file, "file", "", "the schedule as a JSON file (- for standard input)")
	return cmd
}

// jsonArg reads a JSON flag value, or @FILE.
func jsonArg(cmd *cobra.Command, flag, v string) (json.RawMessage, error) {
	b := []byte(v)
	if strings.HasPrefix(v, "@") {
		var err error
		if b, err = readFileArg(cmd, v[1:]); err != nil {
			return nil, err
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s is not valid JSON", flag)
	}
	return json.RawMessage(b), nil
}

func schedulesListCmd(cf *clientFlags) *cobra.Command {
	var after string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List schedules by id with their next fire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var page api.SchedulePage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/schedules?after="+url.QueryEscape(after), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSPEC\tTARGET\tOVERLAP\tPAUSED\tNEXT")
			for _, v := range page.Schedules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", v.ID, specText(&v.Spec), target(&v.Spec), v.Overlap, v.Paused, fmtTimePtr(v.NextRunAt))
			}
			if page.NextAfter != "" {
				fmt.Fprintf(tw, "\nmore: --after %s\n", page.NextAfter)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&after, "after", "", "continue after this id")
	return cmd
}

// specText is a schedule's timing as one phrase.
func specText(sp *schedule.Spec) string {
	if sp.Every != "" {
		return "every " + sp.Every
	}
	if sp.Timezone != "" {
		return sp.Cron + " (" + sp.Timezone + ")"
	}
	return sp.Cron + " (UTC)"
}

// target is what a schedule's fires start.
func target(sp *schedule.Spec) string {
	if sp.Flow != "" {
		return "order of flow " + sp.Flow
	}
	return "workflow " + sp.Workflow
}

func schedulesDescribeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "describe ID",
		Aliases: []string{"get", "show"},
		Short:   "Show a schedule with its next 10 fire times and its last fires",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return scheduleCall(cmd, cf, "GET", "/v1/schedules/"+url.PathEscape(args[0]), nil)
		},
	}
}

// scheduleCall sends a request answered with a schedule and prints it.
func scheduleCall(cmd *cobra.Command, cf *clientFlags, method, path string, body any) error {
	var v schedule.View
	raw, _, err := cf.client().do(cmd.Context(), method, path, body, &v)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	return describeSchedule(cmd.OutOrStdout(), &v)
}

// describeSchedule prints a schedule, its next fire times and last fires.
func describeSchedule(w io.Writer, v *schedule.View) error {
	fmt.Fprintf(w, "Schedule  %s\nWhen      %s\nStarts    %s\nOverlap   %s\nPaused    %t\n", v.ID, specText(&v.Spec), target(&v.Spec), v.Overlap, v.Paused)
	if v.Jitter != "" {
		fmt.Fprintf(w, "Jitter    %s\n", v.Jitter)
	}
	if v.CatchupWindow != "" {
		fmt.Fprintf(w, "Catch-up  %s\n", v.CatchupWindow)
	}
	fmt.Fprintln(w, "\nNext fires")
	if len(v.NextFires) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, t := range v.NextFires {
		fmt.Fprintf(w, "  %s\n", t.Local().Format(time.RFC3339))
	}
	if v.LastFires == nil {
		return nil
	}
	fmt.Fprintln(w, "\nLast fires")
	return printFires(w, v.LastFires)
}

// printFires prints fires as a table.
func printFires(w io.Writer, fires []*store.ScheduleFire) error {
	if len(fires) == 0 {
		fmt.Fprintln(w, "  (none yet)")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var notes errorNotes
	fmt.Fprintln(tw, "  SCHEDULED\tOUTCOME\tINSTANCE\tERROR")
	for _, f := range fires {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.ScheduledAt.Local().Format(time.RFC3339), f.Outcome, f.InstanceID, notes.cell(dash(f.Error)))
	}
	return notes.flush(tw, w)
}

func schedulesActionCmd(cf *clientFlags, action, short string) *cobra.Command {
	return &cobra.Command{
		Use:   action + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return scheduleCall(cmd, cf, "POST", "/v1/schedules/"+url.PathEscape(args[0])+"/"+action, nil)
		},
	}
}

func schedulesTriggerCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "trigger ID",
		Short: "Fire a schedule now (its overlap policy applies)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f store.ScheduleFire
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/schedules/"+url.PathEscape(args[0])+"/trigger", nil, &f)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printFires(cmd.OutOrStdout(), []*store.ScheduleFire{&f})
		},
	}
}

func schedulesBackfillCmd(cf *clientFlags) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "backfill ID --from TIME --to TIME",
		Short: "Fire every scheduled time of a past range that has not fired (at most 1000)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res schedule.BackfillResult
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/schedules/"+url.PathEscape(args[0])+"/backfill",
				api.BackfillRequest{From: from, To: to}, &res)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d fired, %d had fired before\n", len(res.Fires), res.AlreadyFired)
			return printFires(cmd.OutOrStdout(), res.Fires)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "start of the range (RFC 3339)")
	cmd.Flags().StringVar(&to, "to", "", "end of the range, included (RFC 3339)")
	return cmd
}

func schedulesDeleteCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a schedule and its fire records (the instances it started stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, _, err := cf.client().do(cmd.Context(), "DELETE", "/v1/schedules/"+url.PathEscape(args[0]), nil, nil)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
}
