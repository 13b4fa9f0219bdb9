package biohook

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// An argument after the vendor name would make the vendor's parser stop
// there and drop the block, secrets and all: it is a parse error naming it.
func TestVendorArgumentRefused(t *testing.T) {
	err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser(`biohook faceio foo {
		secret fc-token-0123456789
	}`))
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "foo"`) {
		t.Fatalf("error %v", err)
	}
}
