package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
)

func instancesCancelCmd(cf *clientFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel an instance: stop it and run the compensations of its finished steps, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return postAction(cmd, cf, args[0], "cancel", map[string]string{"reason": reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded on the instance and in the audit trail)")
	return cmd
}

func instancesCompensationCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compensation",
		Short: "Finish a compensation that failed for good: retry it, mark it done by hand, or skip it",
	}
	for _, a := range []struct{ name, short string }{
		{"retry", "Run the failed compensation of a step again, with its retry policy"},
		{"done", "Mark the failed compensation of a step done (you undid the step by hand)"},
		{"skip", "Skip the failed compensation of a step (the step stays done)"},
	} {
		var reason string
		sub := &cobra.Command{
			Use:   a.name + " ID STEP",
			Short: a.short,
			Long: a.short + ". STEP is the step's key as `ordo instances describe` shows it (\"charge#1\"); " +
				"a bare name means its first occurrence. The instance then finishes its compensations again.",
			Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				action := "steps/" + url.PathEscape(stepKeyArg(args[1])) + "/compensation/" + a.name
				return postAction(cmd, cf, args[0], action, map[string]string{"reason": reason})
			},
		}
		sub.Flags().StringVar(&reason, "reason", "", "why (recorded on the step and in the audit trail)")
		cmd.AddCommand(sub)
	}
	return cmd
}

// stepKeyArg makes a step name without an occurrence its first one.
func stepKeyArg(s string) string {
	if strings.Contains(s, "#") {
		return s
	}
	return s + "#1"
}

// describeRollback prints a pending rollback.
func describeRollback(in *ordo.Instance) string {
	if in.Rollback == nil {
		return ""
	}
	msg := ""
	if in.Rollback.Cause != nil {
		msg = in.Rollback.Cause.Message
	}
	return fmt.Sprintf("Rolling back to %s: %s\n", in.Rollback.Status, msg)
}
