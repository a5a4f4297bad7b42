package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

func init() { register(newInstancesCmd) }

func newInstancesCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:     "instances",
		Aliases: []string{"instance", "i"},
		Short:   "List, describe and control workflow instances on a running server",
	}
	cf.add(cmd)
	cmd.AddCommand(instancesStepResultCmds(cf)...)
	cmd.AddCommand(
		instancesListCmd(cf), instancesDescribeCmd(cf), instancesCreateCmd(cf),
		instancesActionCmd(cf, "pause", "Pause an instance at its next step boundary"),
		instancesActionCmd(cf, "resume", "Resume a paused instance"),
		instancesActionCmd(cf, "terminate", "Terminate an instance for good"),
		instancesCancelCmd(cf), instancesCompensationCmd(cf),
		instancesRestartCmd(cf), instancesSendEventCmd(cf), instancesEventsCmd(cf), auditOfCmd(cf, "instances"),
		instancesPurgeCmd(cf), instancesDeleteCmd(cf),
		bulkCmd(cf, "instances", "/v1/instances/bulk", []bulkFlag{
			{flag: "workflow", field: "workflow", help: "only instances of this workflow"},
			{flag: "status", field: "status", help: "only instances with this status (queued, running, waiting, paused, complete, errored, terminated)"},
			{flag: "custom-status", field: "customStatus", help: "only instances with this custom status"},
		}),
	)
	return cmd
}

func instancesListCmd(cf *clientFlags) *cobra.Command {
	var workflow, status, cursor, parent string
	var limit int
	search := &searchFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List instances, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if workflow != "" {
				q.Set("workflow", workflow)
			}
			if status != "" {
				q.Set("status", strings.ToLower(status)) // instance statuses are lower case; --status FAILED finds them
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			if parent != "" {
				q.Set("parent", parent)
			}
			q.Set("limit", strconv.Itoa(limit))
			search.set(q)
			var page ordo.InstancePage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/instances?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWORKFLOW\tSTATUS\tCUSTOM STATUS\tCREATED\tFINISHED")
			for _, in := range page.Instances {
				if in.Unreadable != "" {
					fmt.Fprintf(tw, "%s\t(unreadable: %s)\n", in.ID, strings.ReplaceAll(in.Unreadable, "\n", " "))
					continue
				}
				status := string(in.Status)
				if in.Reason != "" {
					status += " (" + string(in.Reason) + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Workflow, status, dash(in.CustomStatus),
					in.CreatedAt.Local().Format(time.DateTime), fmtTimePtr(in.FinishedAt))
			}
			if page.NextCursor != "" {
				fmt.Fprintf(tw, "\nmore: --cursor %s\n", page.NextCursor)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&workflow, "workflow", "", "only this workflow")
	cmd.Flags().StringVar(&parent, "parent", "", "only the children of this instance")
	search.flags(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only this status: queued, running, waiting, paused, complete, errored, cancelled or terminated (any case)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue from a previous page")
	cmd.Flags().IntVar(&limit, "limit", 50, "page size (1-1000)")
	return cmd
}

func instancesDescribeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "describe ID",
		Aliases: []string{"get", "show"},
		Short:   "Show an instance with its step timeline",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var inst ordo.Instance
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/instances/"+url.PathEscape(args[0]), nil, &inst)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if err := describeInstance(cmd.OutOrStdout(), &inst); err != nil {
				return err
			}
			if err := describeChildren(cmd, cf, &inst); err != nil {
				return err
			}
			return describeRuns(cmd, cf, &inst)
		},
	}
}

// describeInstance prints a readable step timeline.
func describeInstance(w io.Writer, in *ordo.Instance) error {
	fmt.Fprintf(w, "Instance  %s\nWorkflow  %s\nStatus    %s\n", in.ID, in.Workflow, in.Status)
	if in.Reason == ordo.ReasonUnregisteredWorkflow {
		writeWrapped(w, "Reason    ", fmt.Sprintf("%s: no worker of the server has registered workflow %q, so the instance does not run (register it again, or terminate the instance)", in.Reason, in.Workflow))
	}
	if in.Version != "" {
		fmt.Fprintf(w, "Version   %s\n", in.Version)
	}
	if in.Run > 1 {
		fmt.Fprintf(w, "Run       %d (earlier runs below)\n", in.Run)
	}
	if in.Priority != 0 {
		fmt.Fprintf(w, "Priority  %d\n", in.Priority)
	}
	if in.Unreadable != "" {
		fmt.Fprintf(w, "Unreadable %s\n", in.Unreadable)
	}
	if in.CustomStatus != "" {
		fmt.Fprintf(w, "Custom    %s\n", in.CustomStatus)
	}
	if in.ParentID != "" {
		fmt.Fprintf(w, "Parent    %s (step %s; on its terminate or cancel: %s)\n", in.ParentID, in.ParentStep, in.ChildPolicy)
	}
	fmt.Fprint(w, describeRollback(in))
	fmt.Fprintf(w, "Created   %s\n", in.CreatedAt.Local().Format(time.RFC3339))
	if in.StartedAt != nil {
		fmt.Fprintf(w, "Started   %s\n", in.StartedAt.Local().Format(time.RFC3339))
	}
	if in.FinishedAt != nil {
		fmt.Fprintf(w, "Finished  %s (%s)\n", in.FinishedAt.Local().Format(time.RFC3339), in.FinishedAt.Sub(in.CreatedAt).Round(time.Millisecond))
	}
	if in.WakeAt != nil && in.Status == ordo.StatusWaiting {
		fmt.Fprintf(w, "Wakes     %s\n", in.WakeAt.Local().Format(time.RFC3339))
	}
	for _, st := range in.Steps {
		if st.Kind == store.KindEvent && st.Status == store.StepWaiting && st.Await != nil {
			writeWrapped(w, "Awaits    ", describeAwait(st.Await)+" (step "+st.Key+")")
		}
		if st.Kind == store.KindDo && st.Status == store.StepWaiting {
			writeWrapped(w, "Waits     ", st.CustomStatus+" (step "+st.Key+")")
		}
		if st.Kind == store.KindConcurrency && st.Status == store.StepWaiting {
			writeWrapped(w, "Waits     ", st.CustomStatus+", since "+st.StartedAt.Local().Format(time.RFC3339))
		}
		if st.Kind == store.KindAsync && st.Status == store.StepWaiting {
			writeWrapped(w, "Awaits    ", fmt.Sprintf("the result of asynchronous step %s, attempt %d (ordo instances complete-step / fail-step)", st.Key, st.Attempts))
		}
	}
	fmt.Fprintf(w, "Params    %s\n", compact(in.Params))
	if len(in.Output) > 0 {
		fmt.Fprintf(w, "Output    %s\n", compact(in.Output))
	}
	if in.Error != nil {
		writeWrapped(w, "Error     ", in.Error.Message)
		for _, c := range in.Error.Compensations {
			writeWrapped(w, "          compensation: ", c.Message)
		}
	}
	fmt.Fprintln(w, "\nSteps")
	if len(in.Steps) == 0 {
		fmt.Fprintln(w, "  (none yet)")
	}
	return printSteps(w, in.Steps)
}

// printSteps prints a step table with the failed attempts under each step.
func printSteps(w io.Writer, steps []*ordo.StepRecord) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var notes errorNotes
	fmt.Fprintln(tw, "  #\tSTEP\tKIND\tSTATUS\tATTEMPTS\tDURATION\tCOMPENSATION\tDETAIL")
	for _, s := range steps {
		dur := "-"
		if s.FinishedAt != nil {
			dur = s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond).String()
		}
		detail := ""
		switch {
		case s.Error != nil:
			detail = notes.cell(s.Error.Message)
		case s.Status == "waiting" && s.WakeAt != nil:
			detail = "until " + s.WakeAt.Local().Format(time.RFC3339)
			if s.Await != nil {
				detail = "event " + s.Await.Type + " " + detail
			}
		case s.Status == "retrying" && s.NextAttemptAt != nil:
			detail = "next attempt " + s.NextAttemptAt.Local().Format(time.RFC3339)
		case len(s.Output) > 0:
			detail = truncate(compact(s.Output), 80)
		}
		switch {
		case s.CompensationStatus == "failed" && s.CompensationError != nil:
			detail = "compensation failed: " + s.CompensationError.Message + " (ordo instances compensation retry|done|skip)"
		case s.CompensationNote != "":
			detail = "compensation " + s.CompensationNote
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Ordinal+1, s.Key, s.Kind, s.Status, s.Attempts, dur,
			dash(string(s.CompensationStatus)), detail)
		for _, a := range s.History {
			if a.Error == nil {
				continue
			}
			label := "attempt"
			if a.Compensation {
				label = "compensation attempt"
			}
			if a.Error.Kind != "" {
				label += " [" + string(a.Error.Kind) + "]"
			}
			fmt.Fprintf(tw, "\t  %s %d\t\t\t\t\t\t%s\n", label, a.Number, notes.cell(a.Error.Message))
		}
	}
	return notes.flush(tw, w)
}

func instancesCreateCmd(cf *clientFlags) *cobra.Command {
	var id, params string
	var wait time.Duration
	var priority int
	cmd := &cobra.Command{
		Use:   "create WORKFLOW",
		Short: "Start an instance of a workflow",
		Long: "Start an instance of a workflow. With --wait, wait that long for it to finish and print the\n" +
			"finished instance (its output, or its error); the server's maximum is 50s by default.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if id != "" {
				body["id"] = id
			}
			if priority != 0 {
				body["priority"] = priority
			}
			if params != "" {
				p, err := paramsArg(cmd, params)
				if err != nil {
					return err
				}
				body["params"] = p
			}
			var inst ordo.Instance
			raw, status, err := cf.client().do(cmd.Context(), "POST", "/v1/workflows/"+url.PathEscape(args[0])+"/instances"+waitQuery(wait), body, &inst)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			switch {
			case wait <= 0:
				fmt.Fprintf(cmd.OutOrStdout(), "created %s (%s)\n", inst.ID, inst.Status)
			case status == 200:
				return describeInstance(cmd.OutOrStdout(), &inst)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "%s is still %s after %s: ordo instances describe %s\n", inst.ID, inst.Status, wait, inst.ID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "instance ID (default: generated)")
	cmd.Flags().IntVar(&priority, "priority", 0, "place in the queue, -100..100: higher is claimed first")
	cmd.Flags().StringVar(&params, "params", "", "params as JSON, or @FILE")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long (e.g. 30s) for the instance to finish and print it")
	return cmd
}

func instancesActionCmd(cf *clientFlags, action, short string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   action + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body any
			if reason != "" {
				body = map[string]string{"reason": reason}
			}
			return postAction(cmd, cf, args[0], action, body)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return cmd
}

func postAction(cmd *cobra.Command, cf *clientFlags, id, action string, body any) error {
	var inst ordo.Instance
	raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/instances/"+url.PathEscape(id)+"/"+action, body, &inst)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", inst.ID, inst.Status)
	return nil
}

func instancesRestartCmd(cf *clientFlags) *cobra.Command {
	var from, reason, params string
	var rerun bool
	cmd := &cobra.Command{
		Use:   "restart ID",
		Short: "Run an instance again, from the beginning or from a step",
		Long: "Run an instance again as a new run, from the beginning or from a step; the earlier run's steps\n" +
			"and attempts are kept (ordo instances describe shows them). With --params it is a redrive with\n" +
			"those params.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"fromStep": from, "reason": reason, "rerunCompensated": rerun}
			if params != "" {
				p, err := paramsArg(cmd, params)
				if err != nil {
					return err
				}
				body["params"] = p
			}
			return postAction(cmd, cf, args[0], "restart", body)
		},
	}
	cmd.Flags().StringVar(&from, "from-step", "", "step name to restart from (earlier results are kept)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	cmd.Flags().BoolVar(&rerun, "rerun-compensated", false, "restart from a step even though compensations undid earlier steps (they run again)")
	cmd.Flags().StringVar(&params, "params", "", "new params as JSON, or @FILE (a redrive)")
	return cmd
}

// paramsArg reads a --params value: JSON, or @FILE.
func paramsArg(cmd *cobra.Command, v string) (json.RawMessage, error) {
	p := []byte(v)
	if strings.HasPrefix(v, "@") {
		b, err := readFileArg(cmd, v[1:])
		if err != nil {
			return nil, err
		}
		p = b
	}
	if !json.Valid(p) {
		return nil, fmt.Errorf("--params is not valid JSON")
	}
	return json.RawMessage(p), nil
}

func instancesSendEventCmd(cf *clientFlags) *cobra.Command {
	var payload string
	cmd := &cobra.Command{
		Use:   "send-event ID TYPE",
		Short: "Send an event to an instance",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"type": args[1]}
			if payload != "" {
				if !json.Valid([]byte(payload)) {
					return fmt.Errorf("--payload is not valid JSON")
				}
				body["payload"] = json.RawMessage(payload)
			}
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/instances/"+url.PathEscape(args[0])+"/events", body, nil)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "event %q sent to %s\n", args[1], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&payload, "payload", "", "event payload as JSON")
	return cmd
}

func instancesEventsCmd(cf *clientFlags) *cobra.Command {
	var cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "events ID",
		Short: "List the events sent to an instance, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page ordo.EventPage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/instances/"+url.PathEscape(args[0])+"/events?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSENT\tRECEIVED BY\tPAYLOAD")
			for _, ev := range page.Events {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", ev.ID, ev.Type, ev.CreatedAt.Local().Format(time.DateTime),
					dash(ev.ConsumedBy), truncate(compact(ev.Payload), 80))
			}
			if page.NextCursor != "" {
				fmt.Fprintf(tw, "\nmore: --cursor %s\n", page.NextCursor)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue from a previous page")
	cmd.Flags().IntVar(&limit, "limit", 50, "page size (1-1000)")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// describeAwait is what an event step waits for, in words: "event
// payment.received matching amount = 12, orderId = "C-1"".
func describeAwait(a *store.EventAwait) string {
	out := "event " + a.Type
	for i, name := range slices.Sorted(maps.Keys(a.Match)) {
		if i == 0 {
			out += " matching "
		} else {
			out += ", "
		}
		out += name + " = " + compact(a.Match[name])
	}
	return out
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return truncate(b.String(), 200)
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// waitQuery is the ?wait= of a create with --wait, or "" without.
func waitQuery(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return "?wait=" + url.QueryEscape(d.String())
}
