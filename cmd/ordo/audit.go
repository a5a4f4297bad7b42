package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/store"
)

func init() { register(newAuditCmd) }

// auditFilters are the flags of the audit listings.
type auditFilters struct {
	action, actor, instance, target, since, until, cursor string
	limit                                                 int
}

func (f *auditFilters) add(cmd *cobra.Command, withInstance bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.action, "action", "", "only this action (pause, resume, terminate, cancel, restart, flow.apply, key.create, ...)")
	fl.StringVar(&f.actor, "actor", "", `only actions by this API key's name ("local": without a key)`)
	if withInstance {
		fl.StringVar(&f.instance, "instance", "", "only actions on this instance or order ID")
		fl.StringVar(&f.target, "target", "", "only actions on this target (flow/NAME, schedule/ID, webhook/ID, key/NAME)")
	}
	fl.StringVar(&f.since, "since", "", "only actions at or after this time: RFC 3339 (2026-12-01T09:00:00Z) or a duration ago (24h)")
	fl.StringVar(&f.until, "until", "", "only actions before this time: RFC 3339 or a duration ago")
	fl.StringVar(&f.cursor, "cursor", "", "continue from a previous page")
	fl.IntVar(&f.limit, "limit", 50, "page size (1-1000)")
}

// query returns the listing's query string, times as RFC 3339.
func (f *auditFilters) query(now time.Time) (string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"action": f.action, "actor": f.actor, "instance": f.instance, "target": f.target, "cursor": f.cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for _, t := range []struct{ name, v string }{{"since", f.since}, {"until", f.until}} {
		if t.v == "" {
			continue
		}
		at, err := auditTime(t.v, now)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", t.name, err)
		}
		q.Set(t.name, at.Format(time.RFC3339Nano))
	}
	q.Set("limit", strconv.Itoa(f.limit))
	return q.Encode(), nil
}

// auditTime reads an RFC 3339 time or a duration before now.
func auditTime(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration ago (24h)", v)
	}
	return now.Add(-d), nil
}

func newAuditCmd() *cobra.Command {
	cf := &clientFlags{}
	f := &auditFilters{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the operator audit trail of a running server, newest first (admin key)",
		Long: "List who did what, when and why: control actions on instances and orders, flow applies,\n" +
			"schedule, webhook and key changes, bulk actions; with what changed where data changed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAudit(cmd, cf, f, "/v1/audit")
		},
	}
	cf.add(cmd)
	f.add(cmd, true)
	return cmd
}

// auditOfCmd is `ordo instances audit ID` or `ordo orders audit ID`.
func auditOfCmd(cf *clientFlags, kind string) *cobra.Command {
	f := &auditFilters{}
	cmd := &cobra.Command{
		Use:   "audit ID",
		Short: "List the audit trail of one " + strings.TrimSuffix(kind, "s") + ", newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listAudit(cmd, cf, f, "/v1/"+kind+"/"+url.PathEscape(args[0])+"/audit")
		},
	}
	f.add(cmd, false)
	return cmd
}

func listAudit(cmd *cobra.Command, cf *clientFlags, f *auditFilters, path string) error {
	q, err := f.query(time.Now())
	if err != nil {
		return err
	}
	var page store.ActionPage
	raw, _, err := cf.client().do(cmd.Context(), "GET", path+"?"+q, nil, &page)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	return printAudit(cmd.OutOrStdout(), &page)
}

// printAudit prints a page of the trail as a table; the reason and the
// change are printed whole.
func printAudit(w io.Writer, page *store.ActionPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tON\tREASON\tCHANGE")
	for _, a := range page.Actions {
		on := a.InstanceID
		if on == "" {
			on = a.Target
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.At.Local().Format(time.DateTime), a.Actor, a.Action, dash(on), dash(a.Reason), change(a))
	}
	if page.NextCursor != "" {
		fmt.Fprintf(tw, "\nmore: --cursor %s\n", page.NextCursor)
	}
	return tw.Flush()
}

// change is an entry's before and after as "BEFORE -> AFTER".
func change(a *store.Action) string {
	switch {
	case len(a.Before) == 0 && len(a.After) == 0:
		return "-"
	case len(a.Before) == 0:
		return compact(a.After)
	case len(a.After) == 0:
		return compact(a.Before) + " -> (gone)"
	}
	return compact(a.Before) + " -> " + compact(a.After)
}
