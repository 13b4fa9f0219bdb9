// Package integration holds every test that starts a real Caddy or the
// built binary, with their harness (harness_test.go: the shared in-process
// Caddy, a real upstream, the vendors' signed deliveries; command_test.go:
// the binary built from ../cmd/caddy), and the Caddyfile-to-JSON goldens in
// caddyfile_adapt/ (the layout of Caddy's own caddytest/integration). It
// sees the module as a user does: through Caddy, its config, its admin API,
// its logs and metrics, and the binary; it imports the root to register
// the modules, and for its exported version.
//
// The goldens pin what the biohook directive adapts to, for every example
// and every option, so that no change to the code changes a user's config
// without a golden showing it.
//
// Only this package may start an in-process Caddy (caddytest's InitServer
// or AssertLoadError): caddytest listens on fixed ports, and `go test ./...`
// runs packages in parallel. Other packages may only adapt.
package integration
