package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/bulk"
)

func init() { register(newBulkCmd) }

// newBulkCmd is `ordo bulk`: the bulk jobs started by `ordo instances
// bulk` and `ordo orders bulk`.
func newBulkCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "bulk",
		Short: "List bulk jobs and follow their progress on a running server",
	}
	cf.add(cmd)
	cmd.AddCommand(bulkListCmd(cf), bulkGetCmd(cf))
	return cmd
}

// bulkFilterFlags are the filter flags of a bulk command: named ones and
// --filter JSON for any field of the listing's filter.
type bulkFilterFlags struct {
	filter string
	named  []bulkFlag
}

type bulkFlag struct {
	flag, field, help string
	value             string
}

func (f *bulkFilterFlags) add(cmd *cobra.Command, source string) {
	for i := range f.named {
		cmd.Flags().StringVar(&f.named[i].value, f.named[i].flag, "", f.named[i].help)
	}
	cmd.Flags().StringVar(&f.filter, "filter", "", "the "+source+" filter as JSON, for any of its fields (the named flags are added to it)")
}

// build returns the filter object: --filter with the named flags set.
func (f *bulkFilterFlags) build() (map[string]any, error) {
	out := map[string]any{}
	if f.filter != "" {
		if err := json.Unmarshal([]byte(f.filter), &out); err != nil {
			return nil, fmt.Errorf("--filter must be a JSON object: %w", err)
		}
	}
	for _, n := range f.named {
		if n.value != "" {
			out[n.field] = n.value
		}
	}
	return out, nil
}

// bulkCmd is `ordo instances bulk` or `ordo orders bulk`: one subcommand
// per action, posting to path.
func bulkCmd(cf *clientFlags, source, path string, named []bulkFlag) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bulk ACTION",
		Short: "Apply an action to every " + strings.TrimSuffix(source, "s") + " a filter selects, as a durable job",
		Long: "Apply an action to every " + strings.TrimSuffix(source, "s") + " the filter selects, as a durable job on the server.\n" +
			"--dry-run prints how many match and the first of them, acting on nothing. A real run prints the same,\n" +
			"then starts the job and prints its ID; --wait follows its progress until it is done.",
	}
	for _, a := range bulk.Actions {
		cmd.AddCommand(bulkActionCmd(cf, a, source, path, named))
	}
	return cmd
}

func bulkActionCmd(cf *clientFlags, action bulk.Action, source, path string, named []bulkFlag) *cobra.Command {
	ff := &bulkFilterFlags{named: append([]bulkFlag(nil), named...)}
	var (
		reason, fromStep string
		dryRun, wait     bool
	)
	cmd := &cobra.Command{
		Use:   string(action),
		Short: fmt.Sprintf("%s every %s the filter selects", action, strings.TrimSuffix(source, "s")),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := ff.build()
			if err != nil {
				return err
			}
			req := map[string]any{"action": action, "filter": filter, "reason": reason, "dryRun": true}
			if fromStep != "" {
				req["fromStep"] = fromStep
			}
			c, out := cf.client(), cmd.OutOrStdout()
			var pv bulk.Preview
			raw, _, err := c.do(cmd.Context(), "POST", path, req, &pv)
			if err != nil {
				return err
			}
			if cf.json && dryRun {
				return printJSON(out, raw)
			}
			if !cf.json {
				printPreview(out, &pv, source)
			}
			if dryRun {
				return nil
			}
			req["dryRun"] = false
			var job bulk.Job
			raw, _, err = c.do(cmd.Context(), "POST", path, req, &job)
			if err != nil {
				return err
			}
			if !cf.json {
				fmt.Fprintf(out, "bulk job %s started: %s %d %s\n", job.ID, job.Action, job.Progress.Total, source)
			}
			if !wait {
				if cf.json {
					return printJSON(out, raw)
				}
				fmt.Fprintf(out, "follow it with: ordo bulk get %s --wait\n", job.ID)
				return nil
			}
			return waitBulk(cmd.Context(), c, out, job.ID, cf.json)
		},
	}
	ff.add(cmd, strings.TrimSuffix(source, "s"))
	cmd.Flags().StringVar(&reason, "reason", "", "why: recorded in the audit trail of every instance acted on")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only count and show what the filter selects")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the job's progress until it is done")
	if action == bulk.ActionRestart {
		cmd.Flags().StringVar(&fromStep, "from-step", "", "restart from this step, keeping the earlier steps' results")
	}
	return cmd
}

// printPreview prints a dry run's count and sample.
func printPreview(w io.Writer, pv *bulk.Preview, source string) {
	switch {
	case pv.Exceeded:
		fmt.Fprintf(w, "more than %d %s match: one bulk job acts on at most %d; narrow the filter\n", pv.Max, source, pv.Max)
	default:
		fmt.Fprintf(w, "%d %s match\n", pv.Count, source)
	}
	if len(pv.Sample) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKFLOW\tSTATUS\tCUSTOM STATUS\tCREATED")
	for _, it := range pv.Sample {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.ID, it.Workflow, it.Status, dash(it.CustomStatus), it.CreatedAt.Local().Format(time.DateTime))
	}
	if pv.Count > len(pv.Sample) {
		fmt.Fprintf(tw, "... and %d more\n", pv.Count-len(pv.Sample))
	}
	_ = tw.Flush()
}

// waitBulk polls a job until it is done, printing its progress when it
// changes; an errored or terminated job, or one with failures, is an
// error (exit status 1).
func waitBulk(ctx context.Context, c *apiClient, w io.Writer, id string, asJSON bool) error {
	last := ""
	for {
		var job bulk.Job
		raw, _, err := c.do(ctx, "GET", "/v1/bulk/"+url.PathEscape(id), nil, &job)
		if err != nil {
			return err
		}
		if line := progressLine(&job); line != last && !asJSON {
			fmt.Fprintln(w, line)
			last = line
		}
		if job.Done {
			if asJSON {
				if err := printJSON(w, raw); err != nil {
					return err
				}
			} else {
				printFailures(w, &job)
			}
			if job.Error != nil {
				return fmt.Errorf("bulk job %s %s: %s", id, job.Status, job.Error.Message)
			}
			if job.Status != "complete" || job.Progress.Failed > 0 {
				return fmt.Errorf("bulk job %s %s with %d failures", id, job.Status, job.Progress.Failed)
			}
			return nil
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func progressLine(j *bulk.Job) string {
	p := j.Progress
	return fmt.Sprintf("%s: %d of %d processed, %d succeeded, %d skipped, %d failed", j.Status, p.Processed, p.Total, p.Succeeded, p.Skipped, p.Failed)
}

// printFailures prints the recorded failures and skips of a job, whole.
func printFailures(w io.Writer, j *bulk.Job) {
	for _, f := range j.Progress.Failures {
		fmt.Fprintf(w, "failed  %s: %s\n", f.ID, f.Message)
	}
	for _, s := range j.Progress.Skips {
		fmt.Fprintf(w, "skipped %s: %s\n", s.ID, s.Message)
	}
	if n := j.Progress.Failed - len(j.Progress.Failures); n > 0 {
		fmt.Fprintf(w, "(%d more failures not recorded)\n", n)
	}
}

func bulkGetCmd(cf *clientFlags) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a bulk job's progress",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, out := cf.client(), cmd.OutOrStdout()
			if wait {
				return waitBulk(cmd.Context(), c, out, args[0], cf.json)
			}
			var job bulk.Job
			raw, _, err := c.do(cmd.Context(), "GET", "/v1/bulk/"+url.PathEscape(args[0]), nil, &job)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(out, raw)
			}
			fmt.Fprintf(out, "Job     %s\nAction  %s %s %s\nBy      %s\n", job.ID, job.Action, job.Source, job.Filter, job.Actor)
			if job.Reason != "" {
				fmt.Fprintf(out, "Reason  %s\n", job.Reason)
			}
			fmt.Fprintln(out, progressLine(&job))
			printFailures(out, &job)
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the job's progress until it is done")
	return cmd
}

func bulkListCmd(cf *clientFlags) *cobra.Command {
	var cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List bulk jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page bulk.JobPage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/bulk?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACTION\tSOURCE\tSTATUS\tTOTAL\tBY\tCREATED")
			for _, j := range page.Jobs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Action, j.Source, j.Status, j.Progress.Total, j.Actor,
					j.CreatedAt.Local().Format(time.DateTime))
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
