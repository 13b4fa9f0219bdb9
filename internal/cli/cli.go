// Package cli is the `caddy biohook` tools: send and sign build a delivery
// exactly as a vendor would (with package deliver), verify checks a
// captured request against a route of a config, keygen makes a route's
// secrets, and version prints the module's version.
//
// It does not know the handler: verify loads the route's handler by its
// module ID, as Caddy would, and asks it through the Checker interface, so
// that the checks are the handler's own and cannot drift from them. It
// registers nothing: the handler's package adds these commands, with the
// dead-letter command of package durable, to `caddy biohook`.
package cli

import (
	"fmt"
	"io/fs"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// Options is what the commands need from the module that registers them.
type Options struct {
	// The vendors' sample events, as testdata/<vendor>/<name>.json (a
	// whole request, <name>.http, for Authenteq): what --event names.
	Samples fs.FS

	// What `version` prints: the module path and its version.
	Version string
}

// Commands are send, sign, verify, keygen and version.
func Commands(o Options) []*cobra.Command {
	s := samples{o.Samples}
	return []*cobra.Command{sendCommand(s), signCommand(s), verifyCommand(), keygenCommand(), versionCommand(o.Version)}
}

func versionCommand(version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Prints the version of the biohook module in this binary",
		Args:  cobra.NoArgs,
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			fmt.Println(version)
			return 0, nil
		}),
	}
}
