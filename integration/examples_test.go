package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// Every example Caddyfile adapts: the examples the README points to stay
// true to the directive.
func TestExamplesAdapt(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*Caddyfile*"))
	if len(paths) < 5 {
		t.Fatalf("only %d example Caddyfiles", len(paths))
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := adapter.Adapt(body, map[string]any{"filename": p}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
