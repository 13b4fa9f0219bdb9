// Package testutil holds the helpers the tests of several packages share:
// a Redis for the tests (the one BIOHOOK_TEST_REDIS names, or a
// redis-server of the run's own), and a comparison of JSON by value. It is
// imported by tests only, and imports no package of this module.
package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// RedisHint says how to run the Redis tests where they would be skipped.
const RedisHint = "install redis-server (apt-get install redis-server) and the tests start their own, " +
	"or set BIOHOOK_TEST_REDIS=host:port"

// RunWithRedis runs a package's tests (from its TestMain) with a Redis for
// them: BIOHOOK_TEST_REDIS when it is set (CI starts one), else a
// redis-server of the run's own on a free loopback port, stopped when the
// run ends, so that `go test ./...` on a machine with redis-server runs
// everything. Without either, RedisAddr skips, saying how to enable them.
func RunWithRedis(m *testing.M) int {
	if os.Getenv("BIOHOOK_TEST_REDIS") != "" {
		return m.Run()
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return m.Run()
	}
	// The server dies with the test process even when a timeout panic ends
	// it (see redisCmd); the parent-death signal belongs to this thread.
	runtime.LockOSThread()
	addr, stop, err := startOwnRedis(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "biohook tests: redis-server is installed but did not start: %v\n", err)
		return 1
	}
	defer stop()
	os.Setenv("BIOHOOK_TEST_REDIS", addr)
	return m.Run()
}

// startOwnRedis runs redis-server on a free loopback port, with no
// persistence, in a directory of its own, and waits until it answers PING.
func startOwnRedis(path string) (addr string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "biohook-test-redis-")
	if err != nil {
		return "", nil, err
	}
	for attempt := 0; attempt < 3; attempt++ { // another process may take the port first
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := RedisCmd(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
		if err = cmd.Start(); err != nil {
			return "", nil, err
		}
		if err = WaitPong(addr, 5*time.Second); err == nil {
			return addr, func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				_ = os.RemoveAll(dir)
			}, nil
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	_ = os.RemoveAll(dir)
	return "", nil, fmt.Errorf("no PONG from %s\n%s", addr, log)
}

// WaitPong waits until the Redis at addr answers PING.
func WaitPong(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, err = c.Write([]byte("PING\r\n"))
			var line string
			if err == nil {
				line, err = bufio.NewReader(c).ReadString('\n')
			}
			c.Close()
			if err == nil && line == "+PONG\r\n" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("answered %q", line)
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RedisServerPath is the redis-server binary, for tests that start and stop
// a server of their own; without one they skip, saying how to install it.
func RedisServerPath(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed: .ci/run installs it")
		}
		t.Skip("redis-server is not on PATH: " + RedisHint)
	}
	return path
}

// RedisAddr is the Redis the tests share: BIOHOOK_TEST_REDIS, which .ci/run
// sets, or else the one RunWithRedis starts when redis-server is installed.
// Without either the tests fail in CI and are skipped elsewhere.
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("BIOHOOK_TEST_REDIS")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BIOHOOK_TEST_REDIS is not set: .ci/run starts redis-server and sets it")
		}
		t.Skip("no Redis for the tests: " + RedisHint)
	}
	return addr
}
