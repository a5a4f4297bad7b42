package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
)

func init() { register(newEventsCmd) }

func newEventsCmd() *cobra.Command {
	cf := &clientFlags{}
	cmd := &cobra.Command{
		Use:     "events",
		Aliases: []string{"event"},
		Short:   "Publish events and see what they started",
		Long: `Publish events (POST /v1/events) to the subscriptions of a server's
workflows and flows, list the published events, show one with its
deliveries, and replay stored events to one subscription.`,
	}
	cf.add(cmd)
	cmd.AddCommand(eventsPublishCmd(cf), eventsListCmd(cf), eventsGetCmd(cf), eventsReplayCmd(cf))
	return cmd
}

func eventsPublishCmd(cf *clientFlags) *cobra.Command {
	var id, payload string
	cmd := &cobra.Command{
		Use:   "publish TYPE [--id ID] [--payload JSON | --payload @FILE | --payload @-]",
		Short: "Publish an event; an id already stored starts nothing again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.PublishRequest{ID: id, Type: args[0]}
			if payload != "" {
				raw := []byte(payload)
				if payload[0] == '@' {
					var err error
					if raw, err = readFileArg(cmd, payload[1:]); err != nil {
						return fmt.Errorf("--payload: %w", err)
					}
				}
				if !json.Valid(raw) {
					return fmt.Errorf("--payload is not valid JSON")
				}
				req.Payload = raw
			}
			var ev ordo.PublishedEvent
			raw, status, err := cf.client().do(cmd.Context(), "POST", "/v1/events", req, &ev)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if status == 200 {
				fmt.Fprintf(cmd.OutOrStdout(), "event %s was published already at %s: nothing started again\n", ev.ID,
					ev.PublishedAt.Local().Format(time.DateTime))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "event %s published\n", ev.ID)
			}
			return printDeliveries(cmd.OutOrStdout(), ev.Deliveries)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "event id, for deduplication (default: a new one)")
	cmd.Flags().StringVar(&payload, "payload", "", "the payload: JSON, or @FILE (@- for standard input)")
	return cmd
}

func eventsListCmd(cf *clientFlags) *cobra.Command {
	var typ, since, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List published events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"type": typ, "since": since, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			var page ordo.PublishedPage
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/events?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tPUBLISHED\tPAYLOAD")
			for _, ev := range page.Events {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.ID, ev.Type, ev.PublishedAt.Local().Format(time.DateTime),
					truncate(string(ev.Payload), 60))
			}
			if page.NextCursor != "" {
				fmt.Fprintf(tw, "\nmore: --cursor %s\n", page.NextCursor)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "only this event type")
	cmd.Flags().StringVar(&since, "since", "", "only events published at or after this RFC 3339 time")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue from a previous page")
	cmd.Flags().IntVar(&limit, "limit", 50, "page size (1-1000)")
	return cmd
}

func eventsGetCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Aliases: []string{"describe", "show"},
		Short:   "Show an event with what each subscription did",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ev ordo.PublishedEvent
			raw, _, err := cf.client().do(cmd.Context(), "GET", "/v1/events/"+url.PathEscape(args[0]), nil, &ev)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "event %s (%s), published %s\npayload %s\n", ev.ID, ev.Type,
				ev.PublishedAt.Local().Format(time.DateTime), truncate(string(ev.Payload), 200))
			return printDeliveries(cmd.OutOrStdout(), ev.Deliveries)
		},
	}
}

func eventsReplayCmd(cf *clientFlags) *cobra.Command {
	var req api.ReplayRequest
	cmd := &cobra.Command{
		Use:   "replay SUBSCRIPTION [--from TIME] [--to TIME] [--limit N]",
		Short: "Deliver stored events again to one subscription (deliveries made already are skipped)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Subscription = args[0]
			var res ordo.ReplayResult
			raw, _, err := cf.client().do(cmd.Context(), "POST", "/v1/events/replay", req, &res)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d events read, %d delivered, %d delivered before\n", res.Events,
				len(res.Deliveries), res.Skipped)
			if err := printDeliveries(cmd.OutOrStdout(), res.Deliveries); err != nil {
				return err
			}
			if res.NextCursor != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "more: --cursor %s\n", res.NextCursor)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&req.From, "from", "", "only events published at or after this RFC 3339 time")
	cmd.Flags().StringVar(&req.To, "to", "", "only events published before this RFC 3339 time")
	cmd.Flags().IntVar(&req.Limit, "limit", 0, "read at most this many events (1-1000, default 1000)")
	cmd.Flags().StringVar(&req.Cursor, "cursor", "", "continue a previous replay")
	return cmd
}

// printDeliveries writes deliveries as a table.
func printDeliveries(w io.Writer, ds []*ordo.Delivery) error {
	if len(ds) == 0 {
		_, err := fmt.Fprintln(w, "no deliveries: no subscription receives this type")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var notes errorNotes
	fmt.Fprintln(tw, "SUBSCRIPTION\tOUTCOME\tINSTANCE\tERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Subscription, d.Outcome, dash(d.InstanceID), notes.cell(d.Error))
	}
	return notes.flush(tw, w)
}
