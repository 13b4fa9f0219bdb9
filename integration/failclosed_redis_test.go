package integration

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A Redis that keeps nothing on disk loads with a WARN, for a dedupe store
// and for a durable spool; one whose CONFIG is disabled, with a WARN that
// persistence could not be checked; one with an append-only file, quietly.
func TestRedisWithoutPersistenceWarns(t *testing.T) {
	shared := redisAddr(t) // no persistence: save "" and appendonly no
	up := newUpstream(t)
	site := func(redisURL, spool string) string {
		return `
:9080 {
	handle /hooks/faceio {
		biohook faceio {
			secret fc-token-0123456789
			dedupe {
				store redis ` + redisURL + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				` + spool + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}
}`
	}
	waitWarning := func(mark int, msg string) logEntry {
		t.Helper()
		var got []logEntry
		waitFor(t, 5*time.Second, "a warning "+msg, func() bool {
			got = entries(t, captured.since(mark), msg)
			return len(got) > 0
		})
		if got[0].Level != "warn" {
			t.Fatalf("%q logged at %s", msg, got[0].Level)
		}
		return got[0]
	}

	mark := captured.mark()
	startCaptured(t, "", site("redis://"+shared+"/5", spoolSetting(t, "redis")))
	if e := waitWarning(mark, "dedupe redis keeps nothing on disk"); e.Vendor != "faceio" || e.Redis != shared {
		t.Errorf("warning %+v", e)
	}
	waitWarning(mark, "spool redis: no append-only file")

	aof := startRedisWith(t, "127.0.0.1:16395", "--appendonly", "yes", "--appendfsync", "always")
	mark = captured.mark()
	startCaptured(t, "", site("redis://"+aof+"/0", "spool redis redis://"+aof+"\nkey_prefix aof:"))
	time.Sleep(2 * time.Second) // the dedupe check runs in the background
	for _, msg := range []string{"dedupe redis", "spool redis"} {
		if got := entries(t, captured.since(mark), msg); len(got) != 0 {
			t.Errorf("warned about a Redis with an append-only file: %+v", got)
		}
	}

	noConfig := startRedisWith(t, "127.0.0.1:16396", "--rename-command", "CONFIG", "")
	mark = captured.mark()
	startCaptured(t, "", site("redis://"+noConfig+"/0", "spool redis redis://"+noConfig+"\nkey_prefix noconfig:"))
	waitWarning(mark, "dedupe redis: could not check that Redis keeps its data on disk")
	waitWarning(mark, "spool redis: could not check that Redis keeps events on disk")
}

// startRedisWith runs a redis-server of the test's own at addr with args.
func startRedisWith(t *testing.T, addr string, args ...string) string {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir()}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, addr)
	return addr
}
