// Command caddy is Caddy with the biohook module built in, so that
// `go run ./cmd/caddy run --config Caddyfile` works without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules, as in the official build.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// The biohook handler and its vendors.
	_ "github.com/biohook/caddy-biohook"
)

func main() {
	caddycmd.Main()
}
