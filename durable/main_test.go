package durable

import (
	"os"
	"testing"

	"github.com/biohook/caddy-biohook/internal/testutil"
)

// TestMain gives the Redis spool's tests a server (see
// testutil.RunWithRedis).
func TestMain(m *testing.M) {
	os.Exit(testutil.RunWithRedis(m))
}
