package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func durableSite(up *upstream, spool, options string) string {
	return `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				` + spool + `
				` + options + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	respond "not a hook" 200
}
`
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// spoolSetting is the spool a test runs with: a bbolt file of its own, or
// Redis under a prefix of its own.
func spoolSetting(t *testing.T, kind string) string {
	if kind == "bolt" {
		return "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	}
	prefix := strings.ReplaceAll(t.Name(), "/", ":") + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	return "spool redis redis://" + redisAddr(t) + "\nkey_prefix " + prefix
}

// forEachSpool runs test once per spool.
func forEachSpool(t *testing.T, test func(t *testing.T, spool string)) {
	for _, kind := range []string{"bolt", "redis"} {
		t.Run(kind, func(t *testing.T) { test(t, spoolSetting(t, kind)) })
	}
}

// The vendor is answered once the event is stored; the app gets it through
// the route, retried until it answers 2xx, with an Idempotency-Key.
func TestDurableRetriesUntilDelivered(t *testing.T) {
	forEachSpool(t, testDurableRetriesUntilDelivered)
}

func testDurableRetriesUntilDelivered(t *testing.T, spool string) {
	up := newUpstream(t)
	up.answer(http.StatusServiceUnavailable, "deploying")
	tester := startCaddy(t, durableSite(up, spool, "retry exponential 50ms 200ms"))

	body, h := entrustEvent(t, "durable-1")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	if answer != `{"queued":true}` {
		t.Fatalf("answer %q", answer)
	}
	waitFor(t, 5*time.Second, "two failed attempts", func() bool { return up.count() >= 2 })
	pending := `caddy_biohook_durable_pending{vendor="entrust"}`
	waitFor(t, 3*time.Second, "the pending gauge at 1", func() bool { return metricValue(t, pending) == 1 })
	up.answer(http.StatusOK, "ok")
	got := settled(t, up)
	last := got[len(got)-1]
	if n, _ := strconv.Atoi(last.Header.Get("Biohook-Attempt")); n < 3 {
		t.Errorf("delivered at attempt %q, want the third or later", last.Header.Get("Biohook-Attempt"))
	}
	if last.Header.Get("Idempotency-Key") == "" || last.Header.Get("Idempotency-Key") != last.Header.Get("Biohook-Event-Id") {
		t.Errorf("Idempotency-Key %q, event id %q", last.Header.Get("Idempotency-Key"), last.Header.Get("Biohook-Event-Id"))
	}
	if last.Header.Get("Authorization") != "" || last.Header.Get("Signature") != "" {
		t.Error("credentials reached the app")
	}
	if last.Header.Get("Content-Type") != "application/cloudevents+json" {
		t.Errorf("Content-Type %q", last.Header.Get("Content-Type"))
	}

	// A copy from the vendor after delivery is a duplicate: answered, not stored.
	res, answer = post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	if res.Header.Get("Biohook-Duplicate") != "true" {
		t.Errorf("copy after delivery not answered as a duplicate: %q", answer)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(up.take()); n != 0 {
		t.Errorf("copy delivered again: %d requests", n)
	}

	metrics := scrape(t)
	for _, stage := range []string{"enqueued", "delivered", "retried"} {
		series := `caddy_biohook_durable_events_total{stage="` + stage + `",vendor="entrust"}`
		if !strings.Contains(metrics, series) {
			t.Errorf("no %s in the metrics", series)
		}
	}
	waitFor(t, 3*time.Second, "the pending gauge back at 0", func() bool { return metricValue(t, pending) == 0 })
}

// scrape reads Caddy's /metrics from the admin endpoint.
func scrape(t *testing.T) string {
	t.Helper()
	res, err := http.Get("http://localhost:2999/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// settled collects what the upstream receives until nothing more comes for
// a while; it fails if nothing came at all.
func settled(t *testing.T, up *upstream) []received {
	t.Helper()
	var got []received
	quiet := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for time.Since(quiet) < 300*time.Millisecond || len(got) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the upstream received nothing")
		}
		if more := up.take(); len(more) > 0 {
			got, quiet = append(got, more...), time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

// entrustSubjectEvent signs an Entrust event about subject, with a unique id.
func entrustSubjectEvent(t testing.TB, id, subject string) ([]byte, http.Header) {
	id += "-" + strconv.FormatInt(eventSeq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	body := []byte(fmt.Sprintf(`{"id":%q,"type":"user.updated","accountId":"a","eventTime":"2026-01-02T03:04:05Z","data":{"subject":%q}}`, id, subject))
	return body, entrustHeaders(t, caddyBase+"/hooks/entrust", body, "entrust-dedupe-token", time.Now())
}

// orderedApp records, per subject, the event ids in the order they arrived.
type orderedApp struct {
	mu     sync.Mutex
	order  map[string][]string
	copies int
}

func (a *orderedApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		ID      string `json:"id"`
		Subject string `json:"subject"`
	}
	_ = json.NewDecoder(r.Body).Decode(&ev)
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Contains(a.order[ev.Subject], ev.ID) {
		a.copies++
	} else {
		a.order[ev.Subject] = append(a.order[ev.Subject], ev.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *orderedApp) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ids := range a.order {
		n += len(ids)
	}
	return n
}

// The app refuses connections for a while, then comes up: every event is
// delivered, events about one subject in the order they came, and the
// backlog goes as soon as one delivery succeeds, not when each event's
// backoff ends.
func TestDurableAppDownThenUp(t *testing.T) {
	forEachSpool(t, testDurableAppDownThenUp)
}

func testDurableAppDownThenUp(t *testing.T, spool string) {
	port := freePort(t)
	down := &upstream{Server: &httptest.Server{URL: "http://127.0.0.1:" + strconv.Itoa(port)}}
	tester := startCaddy(t, durableSite(down, spool, "retry exponential 200ms 20s\n key {biohook.event.subject}"))

	subjects := []string{"alice", "bob", "carol"}
	sent := map[string][]string{}
	for i := range 30 {
		subject := subjects[i%3]
		body, h := entrustSubjectEvent(t, "order", subject)
		res, answer := post(t, tester, "/hooks/entrust", body, h)
		mustStatus(t, res, answer, http.StatusOK)
		var ev struct{ ID string }
		_ = json.Unmarshal(body, &ev)
		sent[subject] = append(sent[subject], ev.ID)
	}
	time.Sleep(4 * time.Second) // the waits have grown past a second

	app := &orderedApp{order: map[string][]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// A new event goes at once; its success wakes the backlog.
	body, h := entrustSubjectEvent(t, "order-probe", "dave")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	start := time.Now()
	waitFor(t, 10*time.Second, "every event delivered", func() bool { return app.total() == 31 })
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("the backlog took %s after the app came back: it waited for its backoff", took)
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	for _, subject := range subjects {
		if !slices.Equal(app.order[subject], sent[subject]) {
			t.Errorf("%s: delivered in order %v, sent %v", subject, app.order[subject], sent[subject])
		}
	}
	if app.copies != 0 {
		t.Errorf("%d events delivered twice", app.copies)
	}
}

// A spooled delivery that does not reach the route's biohook handler (here
// a reload puts a catch-all respond in front of it) is a failed attempt:
// the event stays in the spool, and goes to the app once the route is
// reachable again.
func TestDurableMisroutedIsNotDelivered(t *testing.T) {
	up := newUpstream(t)
	up.answer(http.StatusServiceUnavailable, "deploying")
	spool := "spool bolt " + filepath.Join(t.TempDir(), "spool.db")
	site := durableSite(up, spool, "retry exponential 50ms 100ms")
	tester := startCaddy(t, site)
	body, h := entrustEvent(t, "misrouted")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	waitFor(t, 5*time.Second, "a failed attempt", func() bool { return up.count() >= 1 })

	// The same site, with its catch-all respond ordered before the route. A
	// respond that answers 200 before biohook no longer loads; one that
	// refuses (404) still shadows the route.
	shadowed := strings.Replace(globals, "# extra global options", "order respond before handle", 1) +
		strings.Replace(site, `respond "not a hook" 200`, `respond "not a hook" 404`, 1)
	tester.InitServer(shadowed, "caddyfile")
	time.Sleep(150 * time.Millisecond) // an attempt begun under the old config ends
	up.take()
	retried := `caddy_biohook_durable_events_total{stage="retried",vendor="entrust"}`
	before := metricValue(t, retried)
	time.Sleep(500 * time.Millisecond) // several attempts, each answered 404 by respond
	if n := len(up.take()); n != 0 {
		t.Fatalf("the app got %d requests through a shadowed route", n)
	}
	if after := metricValue(t, retried); after < before+2 {
		t.Fatalf("%v failed attempts while the route was shadowed: the test saw none", after-before)
	}
	var spools []spoolStats
	adminJSON(t, http.MethodGet, "/biohook/spool", "", &spools)
	if len(spools) != 1 || len(spools[0].Routes) != 1 || spools[0].Routes[0].Pending != 1 {
		t.Fatalf("the event is not waiting in the spool: %+v", spools)
	}

	up.answer(http.StatusOK, "ok")
	tester.InitServer(globals+site, "caddyfile")
	got := settled(t, up)
	if len(got) != 1 || !strings.Contains(string(got[0].Body), "misrouted") {
		t.Errorf("after the route came back the app got %d requests", len(got))
	}
}
