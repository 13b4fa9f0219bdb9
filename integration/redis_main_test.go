package integration

import (
	"os"
	"testing"

	"github.com/biohook/caddy-biohook/internal/testutil"
)

// TestMain gives the Redis tests a server (see testutil.RunWithRedis).
func TestMain(m *testing.M) {
	os.Exit(testutil.RunWithRedis(m))
}

// redisAddr is the Redis the tests share (see testutil.RedisAddr).
func redisAddr(t testing.TB) string { return testutil.RedisAddr(t) }
