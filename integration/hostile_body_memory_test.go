package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Header-only requests that declare a large body must cost the server what
// arrives, not what they declare. The test runs the built binary, so that
// what is measured is a Caddy process's own: its resident set, from /proc,
// and its Go heap, from the admin endpoint. The heap counts a buffer whose
// pages were not touched yet, which the resident set of a fresh process
// would miss (memory new from the kernel is not zeroed again); a server
// that has been running hands out memory it freed, zeroes it, and the
// resident set shows it at once.

const (
	hostileWave     = 20 // requests opened at once; the flood stops early once over the limit
	hostileClientID = "memory-test-client"
	hostileFaceio   = "memory-test-faceio-token"
	hostileRequests = 200
	hostileDeclared = 32 << 20 // Authenteq's max_size
	hostileRSSLimit = 64 << 20
)

func hostileMemoryCaddyfile(port, adminPort int) string {
	return fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	log {
		level ERROR
	}
}
:%d {
	handle /hooks/authenteq {
		biohook authenteq {
			client_id %s
			secret memory-test-secret
		}
		respond 200
	}
	handle /hooks/faceio {
		biohook faceio {
			secret %s
			max_size 32MiB
		}
		respond 200
	}
}
`, adminPort, port, hostileClientID, hostileFaceio)
}

// vmRSS is the process's resident set size in bytes.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to read the resident set from: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// headerOnly opens a connection, sends the head of a POST that declares a
// hostileDeclared-byte body and asks to be told to go on
// (Expect: 100-continue), and returns the status the server answers first
// with the open connection. Go's server writes "100 Continue" when the
// handler first reads the body, so 100 means the handler went on to read,
// and anything else that it answered without reading. The deadline only
// keeps a broken server from hanging the test.
func headerOnly(addr, path string, header http.Header) (int, net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n", path, addr, hostileDeclared)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		c.Close()
		return 0, nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return 0, nil, fmt.Errorf("reading the status line: %w", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		c.Close()
		return 0, nil, fmt.Errorf("status line %q", line)
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		c.Close()
		return 0, nil, fmt.Errorf("status line %q", line)
	}
	return status, c, nil
}

// memory is what the Caddy process holds: its resident set, and the bytes
// its Go heap has allocated (which counts a buffer whether or not its pages
// were touched yet).
type memory struct{ rss, heap int64 }

func (m memory) minus(o memory) memory { return memory{m.rss - o.rss, m.heap - o.heap} }

func (m memory) String() string {
	return fmt.Sprintf("resident %.1f MiB, heap %.1f MiB", float64(m.rss)/(1<<20), float64(m.heap)/(1<<20))
}

func (m memory) over(limit int64) bool { return m.rss > limit || m.heap > limit }

// measure reads the process's resident set from /proc and its heap from
// the admin endpoint's /debug/vars.
func measure(t *testing.T, pid int, admin string) memory {
	t.Helper()
	res, err := http.Get(admin + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var vars struct{ Memstats struct{ HeapAlloc int64 } }
	if err := json.NewDecoder(res.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	return memory{rss: vmRSS(t, pid), heap: vars.Memstats.HeapAlloc}
}

// collect has the process run a garbage collection (the heap profile's
// gc=1), so that what earlier requests left is not counted.
func collect(t *testing.T, admin string) {
	t.Helper()
	res, err := http.Get(admin + "/debug/pprof/heap?gc=1")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// flood holds up to hostileRequests header-only requests open at once,
// opened hostileWave at a time, checks that each is answered with want,
// and returns how much the process grew while they were all open. It stops
// opening more once the growth passes the limit, so that a regression
// fails without taking gigabytes of the machine.
func flood(t *testing.T, pid int, admin, addr, path string, header http.Header, want int) memory {
	t.Helper()
	// A few first, then let go and collected: what a first request sets up
	// is not counted, and the process has freed memory to hand out again,
	// as a server that has been running has (memory handed out again is
	// zeroed, so a buffer's pages count in the resident set at once).
	var first []net.Conn
	for range 4 {
		status, c, err := headerOnly(addr, path, header)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, c)
		if status != want && len(first) == 1 {
			t.Errorf("%s: first answer %d, want %d", path, status, want)
		}
	}
	for _, c := range first {
		c.Close()
	}
	collect(t, admin)
	before := measure(t, pid, admin)
	var (
		mu     sync.Mutex
		conns  []net.Conn
		wrong  = map[int]int{}
		errs   []error
		growth memory
	)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for sent := 0; sent < hostileRequests && !growth.over(hostileRSSLimit); sent += hostileWave {
		var wg sync.WaitGroup
		for range hostileWave {
			wg.Go(func() {
				status, c, err := headerOnly(addr, path, header)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				conns = append(conns, c)
				if status != want {
					wrong[status]++
				}
			})
		}
		wg.Wait()
		growth = measure(t, pid, admin).minus(before)
	}
	if len(errs) > 0 {
		t.Fatalf("%s: %d requests failed, the first: %v", path, len(errs), errs[0])
	}
	if len(wrong) > 0 {
		t.Errorf("%s: answers other than %d: %v (100: the handler went on to read the body)", path, want, wrong)
	}
	t.Logf("%s: %d header-only requests held open: %s more", path, len(conns), growth)
	if growth.over(hostileRSSLimit) {
		t.Errorf("%s: %d requests held open grew the process by %s; want under %d MiB",
			path, len(conns), growth, hostileRSSLimit>>20)
	}
	return growth
}

// 200 requests that declare a 32 MiB body and send none, held open at
// once: on an Authenteq route whose headers look right, the handler waits
// for the body with a small buffer, not one of the declared size; on a
// FACEIO route, where the token in the headers is all the proof there is,
// a wrong token is refused before the body is read.
func TestHeaderOnlyDeclaredBodiesCostWhatArrives(t *testing.T) {
	port, adminPort := freePort(t), freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	admin := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	inst := startInstance(t, hostileMemoryCaddyfile(port, adminPort), addr)
	pid := inst.cmd.Process.Pid

	flood(t, pid, admin, addr, "/hooks/authenteq", http.Header{
		"Content-Type": {"multipart/form-data; boundary=memory-test"},
		"X-Client-Id":  {hostileClientID},
		"X-Signature":  {strings.Repeat("ab", 32)}, // well formed; no body comes to be hashed
	}, http.StatusContinue)
	flood(t, pid, admin, addr, "/hooks/faceio", http.Header{
		"Content-Type":     {"application/json"},
		"Www-Authenticate": {"Bearer not-the-token"},
	}, http.StatusUnauthorized)
	if t.Failed() {
		t.Logf("caddy's output:\n%s", inst.logs())
	}
}
