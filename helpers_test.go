package biohook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/biohook/caddy-biohook/internal/testutil"
)

// The root's tests are unit tests of the handler's parts; everything that
// starts a Caddy or the built binary is in package integration.

func jsonEqual(t testing.TB, a, b []byte) bool { t.Helper(); return testutil.JSONEqual(t, a, b) }

// readFixture reads testdata/<vendor>/<name>.
func readFixture(t testing.TB, vendor, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", vendor, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
