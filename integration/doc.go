// Package integration holds every test that starts a real Caddy or the
// built binary, and the Caddyfile-to-JSON goldens in caddyfile_adapt/
// (the layout of Caddy's own caddytest/integration).
//
// The goldens pin what the biohook directive adapts to, for every example
// and every option, so that no change to the code changes a user's config
// without a golden showing it.
//
// Only this package may start an in-process Caddy (caddytest's InitServer
// or AssertLoadError): caddytest listens on fixed ports, and `go test ./...`
// runs packages in parallel. Other packages may only adapt.
package integration
