package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests that need what caddytest cannot give (several instances, restarts,
// outages) run the binary built from ./cmd/caddy: caddyBinary.

// instance is a Caddy process started from the binary.
type instance struct {
	cmd *exec.Cmd
	out *lockedWriter // its stdout and stderr
}

// logs returns what the process has written so far.
func (i *instance) logs() string {
	i.out.mu.Lock()
	defer i.out.mu.Unlock()
	return i.out.b.String()
}

// startInstance runs the binary with the Caddyfile and waits until addr
// accepts connections. The process is killed when the test ends.
func startInstance(t *testing.T, caddyfile, addr string, env ...string) *instance {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddyBinary(t), "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), append(env, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)...)
	out := &lockedWriter{b: &strings.Builder{}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, addr)
	return &instance{cmd: cmd, out: out}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
