package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
)

// maxDescribedChildren bounds the children describe lists.
const maxDescribedChildren = 100

// describeChildren prints the children of in (GET /v1/instances?parent=),
// nothing when it has none.
func describeChildren(cmd *cobra.Command, cf *clientFlags, in *ordo.Instance) error {
	var page ordo.InstancePage
	path := fmt.Sprintf("/v1/instances?parent=%s&limit=%d", url.QueryEscape(in.ID), maxDescribedChildren)
	if _, _, err := cf.client().do(cmd.Context(), "GET", path, nil, &page); err != nil {
		return err
	}
	if len(page.Instances) == 0 {
		return nil
	}
	w := cmd.OutOrStdout()
	fmt.Fprintln(w, "\nChildren")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tWORKFLOW\tSTATUS\tSTEP\tPOLICY")
	for _, c := range page.Instances {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.ID, c.Workflow, c.Status, c.ParentStep, c.ChildPolicy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintf(w, "  (more: ordo instances list --parent %s)\n", in.ID)
	}
	return nil
}
