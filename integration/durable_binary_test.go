package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run the built binary against a real spool file: they kill it,
// restart it and reload it while events flow.

// durableCaddyfile is a config with one durable Entrust route on port to app.
func durableCaddyfile(port, adminPort int, spool, app, options string) string {
	admin := "off"
	if adminPort != 0 {
		admin = "127.0.0.1:" + strconv.Itoa(adminPort)
	}
	return fmt.Sprintf(`{
	admin %s
	auto_https off
	log {
		level WARN
	}
}
:%d {
	handle /hooks/entrust {
		biohook entrust {
			secret durable-webhook-token
			durable {
				%s
				%s
			}
		}
		reverse_proxy %s
	}
}
`, admin, port, spool, options, app)
}

// eventApp is the application: it counts each event it receives and
// answers slowly if told to.
type eventApp struct {
	mu       sync.Mutex
	seen     map[string]int
	badKeys  int
	pause    time.Duration
	received atomic.Int64
	srv      *http.Server
	addr     string
}

func startEventApp(t *testing.T, addr string, pause time.Duration) *eventApp {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a := &eventApp{seen: map[string]int{}, pause: pause, addr: ln.Addr().String()}
	a.srv = &http.Server{Handler: a}
	go a.srv.Serve(ln)
	t.Cleanup(func() { a.srv.Close() })
	return a
}

func (a *eventApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct{ ID string }
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, "unreadable event", http.StatusBadRequest) // cut off by a kill
		return
	}
	time.Sleep(a.pause)
	a.mu.Lock()
	a.seen[ev.ID]++
	if r.Header.Get("Idempotency-Key") != ev.ID {
		a.badKeys++
	}
	a.mu.Unlock()
	a.received.Add(1)
	w.WriteHeader(http.StatusOK)
}

// missing lists the ids the app has not received.
func (a *eventApp) missing(ids []string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, id := range ids {
		if a.seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

func (a *eventApp) duplicates() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.seen {
		n += c - 1
	}
	return n
}

// vendor sends events as Entrust does, but more patiently: each is sent
// until it is answered 200, which is when the vendor counts it delivered.
type vendor struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	acked  []string
}

func newVendor(port int) *vendor {
	return &vendor{url: fmt.Sprintf("http://127.0.0.1:%d/hooks/entrust", port),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// send delivers one event until acknowledged, or gives up after a while.
func (v *vendor) send(t testing.TB, id string) bool {
	body := []byte(fmt.Sprintf(`{"id":%q,"type":"user.updated","accountId":"a","eventTime":"2026-01-02T03:04:05Z","data":{"subject":"s"}}`, id))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h := entrustHeaders(t, v.url, body, "durable-webhook-token", time.Now())
		if postWith(v.client, v.url, body, h) == http.StatusOK {
			v.mu.Lock()
			v.acked = append(v.acked, id)
			v.mu.Unlock()
			return true
		}
	}
	return false
}

// sendAll sends n events from workers goroutines; ids start with prefix.
func (v *vendor) sendAll(t testing.TB, prefix string, n, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if !v.send(t, prefix+strconv.FormatInt(i, 10)) {
					t.Errorf("event %d never acknowledged", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func (v *vendor) ackedIDs() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.acked...)
}

// caddyProc is a Caddy process that can be killed and started again on the
// same config.
type caddyProc struct {
	t      *testing.T
	config string
	port   int
	cmd    *exec.Cmd
	out    *lockedWriter
}

func newCaddyProc(t *testing.T, caddyfile string, port int) *caddyProc {
	dir := t.TempDir()
	p := &caddyProc{t: t, config: filepath.Join(dir, "Caddyfile"), port: port}
	if err := os.WriteFile(p.config, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

func (p *caddyProc) start() {
	p.t.Helper()
	p.cmd = exec.Command(caddyBinary(p.t), "run", "--config", p.config, "--adapter", "caddyfile")
	dir := filepath.Dir(p.config)
	p.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	p.out = &lockedWriter{b: &strings.Builder{}}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	waitListening(p.t, "127.0.0.1:"+strconv.Itoa(p.port))
}

// kill is kill -9.
func (p *caddyProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func (p *caddyProc) logs() string {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	return p.out.b.String()
}

// waitDelivered waits until the app has every id.
func waitDelivered(t *testing.T, app *eventApp, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		missing := app.missing(ids)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events never reached the app, e.g. %v", len(missing), len(ids), missing[:min(5, len(missing))])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Caddy is killed with SIGKILL five times while 1,000 events flow to a slow
// app: every event acknowledged to the vendor reaches the app; the only
// copies are of deliveries in flight at a kill, with the same
// Idempotency-Key.
func TestDurableSurvivesKill9(t *testing.T) {
	app := startEventApp(t, "", 5*time.Millisecond)
	port := freePort(t)
	spool := "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	const concurrency = 8
	p := newCaddyProc(t, durableCaddyfile(port, 0, spool, app.addr, "retry exponential 100ms 1s\n concurrency "+strconv.Itoa(concurrency)), port)
	p.start()

	v := newVendor(port)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.sendAll(t, "kill-", 1000, 16)
	}()
	kills := 0
	for kills < 5 {
		select {
		case <-done:
		case <-time.After(time.Duration(200+rand.IntN(400)) * time.Millisecond):
		}
		p.kill()
		kills++
		p.start()
	}
	<-done
	acked := v.ackedIDs()
	if len(acked) != 1000 {
		t.Fatalf("%d events acknowledged, want 1000", len(acked))
	}
	waitDelivered(t, app, acked, 60*time.Second)
	dups := app.duplicates()
	t.Logf("1000 events, %d kills, %d copies delivered", kills, dups)
	if dups > kills*concurrency {
		t.Errorf("%d copies: more than the %d deliveries that can be in flight at %d kills", dups, kills*concurrency, kills)
	}
	if app.badKeys != 0 {
		t.Errorf("%d deliveries without the event id as Idempotency-Key", app.badKeys)
	}
}

// Ten thousand events wait in the spool while the app is down; Caddy is
// stopped, the app comes up, and Caddy starts again with no new traffic:
// every one is delivered.
func TestDurableBacklogAfterRestart(t *testing.T) {
	appPort := freePort(t)
	port := freePort(t)
	spool := "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	p := newCaddyProc(t, durableCaddyfile(port, 0, spool, "127.0.0.1:"+strconv.Itoa(appPort), "retry exponential 1s 10s"), port)
	p.start()
	v := newVendor(port)
	start := time.Now()
	v.sendAll(t, "backlog-", 10000, 16)
	t.Logf("10000 events stored in %s", time.Since(start).Round(time.Millisecond))
	p.kill()

	app := startEventApp(t, "127.0.0.1:"+strconv.Itoa(appPort), 0)
	start = time.Now()
	p.start()
	waitDelivered(t, app, v.ackedIDs(), 90*time.Second)
	t.Logf("backlog delivered %s after the restart", time.Since(start).Round(time.Millisecond))
	if strings.Contains(p.logs(), "panic") {
		t.Errorf("logs:\n%s", p.logs())
	}
}

// A second Caddy on the same spool file stops at once with a clear message;
// `caddy validate` of the same config does not touch the spool and passes.
func TestDurableSpoolLockedByAnotherProcess(t *testing.T) {
	app := startEventApp(t, "", 0)
	port := freePort(t)
	spool := "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	first := newCaddyProc(t, durableCaddyfile(port, 0, spool, app.addr, ""), port)
	first.start()

	second := newCaddyProc(t, durableCaddyfile(freePort(t), 0, spool, app.addr, ""), 0)
	validate := exec.Command(caddyBinary(t), "validate", "--config", second.config, "--adapter", "caddyfile")
	if out, err := validate.CombinedOutput(); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	run := exec.Command(caddyBinary(t), "run", "--config", second.config, "--adapter", "caddyfile")
	run.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir())
	start := time.Now()
	out, err := run.CombinedOutput()
	if err == nil {
		t.Fatal("a second Caddy ran on a locked spool")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the second Caddy took %s to give up", took)
	}
	if !strings.Contains(string(out), "locked by another process") {
		t.Errorf("no clear message:\n%s", out)
	}
	// The first still takes deliveries.
	if !newVendor(port).send(t, "after-lock") {
		t.Error("the first Caddy stopped taking deliveries")
	}
}

// Twenty reloads while events flow, every other one moving the route to
// another app: nothing acknowledged is lost, events after the last reload go
// to its app, and no goroutines are left behind.
func TestDurableReloadsUnderLoad(t *testing.T) {
	appA := startEventApp(t, "", 2*time.Millisecond)
	appB := startEventApp(t, "", 2*time.Millisecond)
	port, adminPort := freePort(t), freePort(t)
	spool := "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	// Attempts in flight at a reload finish through the old config's proxy,
	// whose idle connections then close after the keepalive: short here, so
	// that the count below shows whether anything else is left behind.
	config := func(app string) string {
		return durableCaddyfile(port, adminPort, spool, app+" {\n transport http {\n keepalive 1s\n }\n }", "retry exponential 100ms 1s")
	}
	p := newCaddyProc(t, config(appA.addr), port)
	p.start()
	admin := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	v := newVendor(port)
	v.send(t, "reload-warmup")
	v.client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	before := goroutines(t, admin)

	done := make(chan struct{})
	go func() {
		defer close(done)
		v.sendAll(t, "reload-", 2000, 8)
	}()
	for i := range 20 {
		app := appA.addr
		if i%2 == 0 {
			app = appB.addr
		}
		if i == 19 {
			app = appB.addr
		}
		loadCaddyfile(t, admin, config(app))
		time.Sleep(100 * time.Millisecond)
	}
	<-done

	after := newVendor(port)
	after.sendAll(t, "after-reloads-", 50, 4)
	waitFor(t, 30*time.Second, "every acknowledged event delivered", func() bool {
		return len(unionMissing(v.ackedIDs(), appA, appB)) == 0 && len(appB.missing(after.ackedIDs())) == 0
	})
	if got := len(appA.missing(after.ackedIDs())); got != 50 {
		t.Errorf("%d events after the last reload went to the old app", 50-got)
	}
	// The senders' keep-alive connections are theirs, not the server's to
	// keep: closed before counting, like the idle ones to the apps.
	v.client.CloseIdleConnections()
	after.client.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	if now := goroutines(t, admin); now > before+10 {
		t.Errorf("goroutines grew from %d to %d over 20 reloads", before, now)
		if res, err := http.Get(admin + "/debug/pprof/goroutine?debug=1"); err == nil {
			dump, _ := io.ReadAll(io.LimitReader(res.Body, 16<<10))
			res.Body.Close()
			t.Logf("%s", dump)
		}
	} else {
		t.Logf("goroutines: %d before, %d after 20 reloads", before, now)
	}
}

func unionMissing(ids []string, apps ...*eventApp) []string {
	missing := ids
	for _, a := range apps {
		missing = a.missing(missing)
	}
	return missing
}

// loadCaddyfile replaces the running config through the admin API.
func loadCaddyfile(t *testing.T, admin, caddyfile string) {
	t.Helper()
	res, err := http.Post(admin+"/load", "text/caddyfile", strings.NewReader(caddyfile))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("load: %d %s", res.StatusCode, body)
	}
}

// goroutines is the running Caddy's goroutine count, from its pprof endpoint.
func goroutines(t *testing.T, admin string) int {
	t.Helper()
	res, err := http.Get(admin + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	var n int
	if _, err := fmt.Sscanf(string(line), "goroutine profile: total %d", &n); err != nil {
		t.Fatalf("goroutine profile: %q", line)
	}
	return n
}

// Two instances share one Redis spool; events come in through one of them,
// which is killed while delivering: the other delivers its work once the
// dead instance's leases run out.
func TestDurableRedisSurvivorDelivers(t *testing.T) {
	app := startEventApp(t, "", 300*time.Millisecond)
	spool := "spool redis redis://" + redisAddr(t) + "\n key_prefix survivor" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	options := "attempt_timeout 1s\n retry exponential 100ms 1s"
	portA, portB := freePort(t), freePort(t)
	a := newCaddyProc(t, durableCaddyfile(portA, 0, spool, app.addr, options), portA)
	b := newCaddyProc(t, durableCaddyfile(portB, 0, spool, app.addr, options), portB)
	a.start()
	b.start()

	v := newVendor(portA)
	v.sendAll(t, "survivor-", 200, 16)
	time.Sleep(500 * time.Millisecond) // both are delivering
	a.kill()
	killedAt := time.Now()
	before := app.received.Load()
	waitDelivered(t, app, v.ackedIDs(), 30*time.Second)
	t.Logf("%d of 200 delivered when the first instance was killed; the rest %s later", before, time.Since(killedAt).Round(time.Millisecond))
	if before >= 200 {
		t.Fatal("everything was delivered before the kill: the test proves nothing")
	}
}
