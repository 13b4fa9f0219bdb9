package integration

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// The README's numbers are the code's: the Go it asks for is go.mod's, and
// the biohook modules `list-modules` shows are as many as it says.
func TestReadmeClaims(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	wantGo := regexp.MustCompile(`With Go (\S+) or later`).FindSubmatch(readme)
	if goLine == nil || wantGo == nil {
		t.Fatalf("go.mod's go line %q, the README's %q", goLine, wantGo)
	}
	if g, r := string(goLine[1]), string(wantGo[1]); g != r && g != r+".0" {
		t.Errorf("the README asks for Go %s, go.mod for %s", r, g)
	}

	var ours []string
	for _, id := range caddy.Modules() {
		// The log writer logcapture_test.go registers is the tests' own.
		if strings.Contains(id, "biohook") && id != "caddy.logging.writers.biohook_capture" {
			ours = append(ours, id)
		}
	}
	count := regexp.MustCompile(`list-modules[^\n]*\| grep biohook # (\d+) modules`).FindSubmatch(readme)
	if count == nil {
		t.Fatal("the README's list-modules line says no count")
	}
	if n, _ := strconv.Atoi(string(count[1])); n != len(ours) {
		t.Errorf("the README says list-modules shows %d biohook modules; there are %d: %v", n, len(ours), ours)
	}
}
