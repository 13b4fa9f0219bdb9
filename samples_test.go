package biohook

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// Every vendor module ships its samples in the binary: a vendor added
// without its testdata in samples.go's embed list would leave `caddy
// biohook send --vendor <name>` with nothing to send.
func TestEveryVendorHasEmbeddedSamples(t *testing.T) {
	const namespace = "http.handlers.biohook.vendors"
	vendors := caddy.GetModules(namespace)
	if len(vendors) < 20 {
		t.Fatalf("only %d vendor modules registered", len(vendors))
	}
	for _, m := range vendors {
		name := strings.TrimPrefix(string(m.ID), namespace+".")
		entries, err := fs.ReadDir(samples, path.Join("testdata", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("vendor %s: no samples embedded (add testdata/%s to samples.go's embed list): %v", name, name, err)
		}
	}
}
