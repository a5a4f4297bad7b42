package main

import (
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
)

// describeRuns prints the ended runs of a restarted instance (none for an
// instance in its first run).
func describeRuns(cmd *cobra.Command, cf *clientFlags, in *ordo.Instance) error {
	if in.Run <= 1 {
		return nil
	}
	var rr api.RunsResponse
	if _, _, err := cf.client().do(cmd.Context(), "GET", "/v1/instances/"+url.PathEscape(in.ID)+"/runs", nil, &rr); err != nil {
		return err
	}
	return printRuns(cmd.OutOrStdout(), rr.Runs)
}

// printRuns prints each ended run, newest first: how it ended, the
// restart that ended it, and the steps that restart ran again.
func printRuns(w io.Writer, runs []*ordo.Run) error {
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		fmt.Fprintf(w, "\nRun %d  %s, %s to %s\n", r.Number, r.Status,
			r.StartedAt.Local().Format(time.RFC3339), r.EndedAt.Local().Format(time.RFC3339))
		if r.CustomStatus != "" {
			fmt.Fprintf(w, "  Custom    %s\n", r.CustomStatus)
		}
		if r.Error != nil {
			fmt.Fprintf(w, "  Error     %s\n", r.Error.Message)
		}
		fmt.Fprintf(w, "  Restarted %s\n", describeRestart(r))
		if len(r.Steps) == 0 {
			fmt.Fprintln(w, "  (no steps ran again)")
			continue
		}
		if err := printSteps(w, r.Steps); err != nil {
			return err
		}
	}
	return nil
}

// describeRestart says how a run was restarted: "from step notify-erp
// (redrive) by ops: erp fixed".
func describeRestart(r *ordo.Run) string {
	s := "from the beginning"
	if r.Restart.FromStep != "" {
		s = fmt.Sprintf("from step %s", r.Restart.FromStep)
	}
	if r.Restart.Redrive {
		s += " (redrive: new params)"
	}
	if len(r.Restart.Compensated) > 0 {
		s += fmt.Sprintf(" (compensated steps run again: %v)", r.Restart.Compensated)
	}
	if r.Restart.Actor != "" {
		s += " by " + r.Restart.Actor
	}
	if r.Restart.Reason != "" {
		s += ": " + r.Restart.Reason
	}
	return s
}
