package integration

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/internal/testutil"
)

// redisInstanceSite is one Caddy instance in front of up, deduplicating on
// the Redis at addr.
func redisInstanceSite(listen, upstreamAddr, redis, prefix string) string {
	return `{
	admin off
	auto_https off
	log {
		level ERROR
	}
}
http://` + listen + ` {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			dedupe {
				store redis {
					address ` + redis + `
				}
				key_prefix ` + prefix + `
				wait 5s
			}
		}
		reverse_proxy ` + upstreamAddr + `
	}
}
`
}

// Two instances sharing one Redis forward 200 concurrent copies of one
// event exactly once, and 1000 distinct events, each once.
func TestRedisDedupeTwoInstances(t *testing.T) {
	redis := redisAddr(t)
	up := newSlowUpstream(t, 200*time.Millisecond)
	prefix := "biohook-test-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	startInstance(t, redisInstanceSite("127.0.0.1:19181", up.addr(), redis, prefix), "127.0.0.1:19181")
	startInstance(t, redisInstanceSite("127.0.0.1:19182", up.addr(), redis, prefix), "127.0.0.1:19182")
	urls := []string{"http://127.0.0.1:19181/hooks/entrust", "http://127.0.0.1:19182/hooks/entrust"}

	body, _ := entrustEvent(t, "redis-copies-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			url := urls[i%2]
			status := postOnce(url, body, entrustHeaders(t, url, body, "entrust-dedupe-token", time.Now()))
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if n := len(up.take()); n != 1 {
		t.Fatalf("200 copies forwarded %d times (statuses %v)", n, statuses)
	}
	if statuses[200] != 200 {
		t.Errorf("statuses %v", statuses)
	}

	distinct(t, urls, up, 1000, 50)
}

// distinct sends n distinct events over urls at concurrency c; each must
// reach the upstream once.
func distinct(t *testing.T, urls []string, up *upstream, n, c int) {
	t.Helper()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	sem := make(chan struct{}, c)
	var wg sync.WaitGroup
	failed := 0
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			url := urls[i%len(urls)]
			body, _ := entrustEvent(t, fmt.Sprintf("distinct-%s-%d", run, i))
			if postOnce(url, body, entrustHeaders(t, url, body, "entrust-dedupe-token", time.Now())) != 200 {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	got := up.take()
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.Header.Get("Biohook-Event-Id")] = true
	}
	if failed != 0 || len(got) != n || len(ids) != n {
		t.Fatalf("%d distinct events: %d failed, %d forwarded, %d distinct ids", n, failed, len(got), len(ids))
	}
}

// Redis stops mid-run: deliveries get 503 with Retry-After, which every
// vendor retries, and nothing is forwarded twice; when Redis is back,
// deliveries flow again.
func TestRedisOutage(t *testing.T) {
	own := startRedis(t, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	up := newUpstream(t)
	inst := startInstance(t, redisInstanceSite("127.0.0.1:19183", up.addr(), own.addr, "biohook-outage:"), "127.0.0.1:19183")
	url := "http://127.0.0.1:19183/hooks/entrust"
	first, _ := entrustEvent(t, "outage-first")
	sign := func(body []byte) int {
		return postOnce(url, body, entrustHeaders(t, url, body, "entrust-dedupe-token", time.Now()))
	}
	if sign(first) != 200 || len(up.take()) != 1 {
		t.Fatal("the first delivery was not forwarded")
	}
	own.stop()
	for i := 0; i < 5; i++ {
		body, _ := entrustEvent(t, fmt.Sprintf("outage-%d", i))
		if status := sign(body); status != 503 {
			t.Fatalf("during the outage: %d", status)
		}
		if status := sign(first); status != 503 {
			t.Fatalf("a duplicate during the outage: %d", status)
		}
	}
	if n := len(up.take()); n != 0 {
		t.Fatalf("%d deliveries forwarded without dedupe", n)
	}
	if c := countLines(inst.logs(), "dedupe store unavailable"); c != 1 {
		t.Errorf("the outage was logged %d times, want once", c)
	}
	own.start(t)
	body, _ := entrustEvent(t, "outage-after")
	status := 0
	// The client redials within a second of Redis coming back; a vendor
	// retrying the 503 gets through.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if status = sign(body); status != 503 {
			break
		}
	}
	if status != 200 {
		t.Fatalf("after the outage: %d\n%s", status, inst.logs())
	}
}

// redisServer is a redis-server of a test's own, on its own port.
type redisServer struct {
	path, addr string
	cmd        *exec.Cmd
}

func startRedis(t *testing.T, addr string) *redisServer {
	s := &redisServer{path: testutil.RedisServerPath(t), addr: addr}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) start(t *testing.T) {
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = testutil.RedisCmd(s.path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	waitListening(t, s.addr)
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func countLines(log, substr string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
