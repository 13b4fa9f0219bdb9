package biohook

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/biohook/caddy-biohook/durable"
	"github.com/biohook/caddy-biohook/internal/cli"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "biohook",
		Usage: "send|sign|verify|dlq|keygen|version [flags]",
		Short: "Sends, signs and checks webhook deliveries as the biohook vendors make them",
		Long: `
Tools for biohook routes, in the same binary as the module:

  send     builds a delivery exactly as the vendor would and POSTs it to a route
  sign     prints that delivery's headers (and body, where the vendor transforms it)
  verify   checks a captured raw HTTP request against a route of a config, offline
  dlq      lists and replays the dead letters of durable routes (admin API)
  keygen   makes a secret for a route, where the vendor does not issue one
  version  prints the module's version

Each vendor has built-in sample events (--event), so a route can be tried
before the vendor is wired up. See docs/cli.md.
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(cli.Commands(cli.Options{Samples: samples, Version: ModulePath + " " + buildVersion()})...)
			cmd.AddCommand(durable.DLQCommand())
		},
	})
}
