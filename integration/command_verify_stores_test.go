package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `verify` checks a capture against a route that deduplicates or delivers
// durably: it forwards nothing, so it takes neither the route's store nor
// its spool, and it needs no running config to find them.
func TestCommandVerifyRouteWithStores(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Caddyfile")
	err := os.WriteFile(cfg, []byte(`{
	admin off
}
http://127.0.0.1:8089 {
	handle /hooks/entrust {
		biohook entrust {
			secret {env.CLI_ENTRUST}
			dedupe
		}
		respond 200
	}
	handle /hooks/faceio {
		biohook faceio {
			secret {env.CLI_FACEIO}
			durable {
				spool bolt `+filepath.Join(dir, "spool.db")+`
			}
		}
		respond 200
	}
}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, vendor := range []string{"entrust", "faceio"} {
		url := "http://127.0.0.1:8089" + vendorPaths[vendor]
		status, capture, stderr := run(t, nil, append([]string{"biohook", "sign", "--raw", "--url", url}, vendorArgs(vendor, vendorSecrets[vendor])...)...)
		if status != 0 {
			t.Fatalf("%s: sign exit %d: %s", vendor, status, stderr)
		}
		status, out, stderr := run(t, []byte(capture), "biohook", "verify", "--config", cfg)
		if status != 0 || !strings.Contains(out, "result:  PASS") {
			t.Fatalf("%s: verify exit %d:\n%s\n%s", vendor, status, out, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "spool.db")); err == nil {
		t.Error("verify opened the route's spool")
	}
}
