package durable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// DLQCommand is `caddy biohook dlq`: it lists and replays dead letters
// through a running Caddy's admin API.
func DLQCommand() *cobra.Command {
	var address, config, adapter string
	cmd := &cobra.Command{
		Use:   "dlq ls | dlq replay <key or event id>... | dlq replay --all",
		Short: "Lists and replays the dead letters of durable routes",
		Long: `
Dead letters are events a durable route gave up on: the application kept
failing until max_age or attempts ran out, or answered 410 Gone. They stay for
keep_dead. These commands ask a running Caddy, through its admin API:

  dlq ls                 lists them (key, event id, route, attempts, reason)
  dlq replay <id>...     queues them again, by key or event id
  dlq replay --all       queues every one again

A replayed event starts over: no attempts made, max_age counted from now.
`,
	}
	fl := cmd.PersistentFlags()
	fl.StringVar(&address, "address", "", "the admin API's address (default: from --config, or localhost:2019)")
	fl.StringVar(&config, "config", "", "the config file whose admin address to use")
	fl.StringVar(&adapter, "adapter", "", "the config file's adapter")
	adminAddr := func() (string, error) {
		return caddycmd.DetermineAdminAPIAddress(address, nil, config, adapter)
	}
	var all bool
	var route string
	replay := &cobra.Command{
		Use:   "replay <key or event id>... | --all",
		Short: "Queues dead letters again",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("name the dead letters to replay, or --all, not both")
			}
			addr, err := adminAddr()
			if err != nil {
				return err
			}
			return replayDeadLetters(cmd.OutOrStdout(), addr, replayRequest{IDs: args, All: all, Route: route})
		},
	}
	replay.Flags().BoolVar(&all, "all", false, "replay every dead letter")
	replay.Flags().StringVar(&route, "route", "", "queue them on this route (vendor, or vendor/name) instead of their own")
	ls := &cobra.Command{
		Use:   "ls",
		Short: "Lists dead letters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := adminAddr()
			if err != nil {
				return err
			}
			return listDeadLetters(cmd.OutOrStdout(), addr)
		},
	}
	cmd.AddCommand(ls, replay)
	return cmd
}

func listDeadLetters(out io.Writer, addr string) error {
	var letters []deadLetter
	if err := adminCall(addr, http.MethodGet, "/biohook/dead", nil, &letters); err != nil {
		return err
	}
	if len(letters) == 0 {
		fmt.Fprintln(out, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tEVENT ID\tROUTE\tATTEMPTS\tDEAD AT\tREASON")
	for _, l := range letters {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", l.Key, l.ID, l.Route, l.Attempts, l.DeadAt.Format(time.RFC3339), l.Reason)
	}
	return tw.Flush()
}

func replayDeadLetters(out io.Writer, addr string, req replayRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var res struct {
		Replayed int `json:"replayed"`
	}
	if err := adminCall(addr, http.MethodPost, "/biohook/dead/replay", body, &res); err != nil {
		return err
	}
	fmt.Fprintf(out, "replayed %d\n", res.Replayed)
	if !req.All && res.Replayed < len(req.IDs) {
		return fmt.Errorf("%d of %d named are not dead letters", len(req.IDs)-res.Replayed, len(req.IDs))
	}
	return nil
}

// adminCall makes one admin API request and decodes its JSON answer.
func adminCall(addr, method, uri string, body []byte, into any) error {
	var header http.Header
	if body != nil {
		header = http.Header{"Content-Type": {"application/json"}}
	}
	res, err := caddycmd.AdminAPIRequest(addr, method, uri, header, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(into)
}
