package integration

import "testing"

// An argument after the vendor name would make the vendor's parser stop
// there and drop the block, secrets and all: the config does not load, and
// the error names it.
func TestVendorArgumentRefusesToLoad(t *testing.T) {
	assertRefused(t, globals+`
:9080 {
	biohook faceio foo {
		secret fc-token-0123456789
		dedupe
	}
	respond "ok" 200
}`, "caddyfile", `unexpected argument "foo" after the vendor name`)
}
