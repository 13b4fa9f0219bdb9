package integration

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// runID tells this run's routes and events from those of earlier tests: the
// memory stores of the shared Caddy outlive config loads.
func runID() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }

// twoEntrustRoutes is a site with a staging and a production route of one
// Entrust account: the same settings, each with its own dedupe block.
func twoEntrustRoutes(up *upstream, staging, production string) string {
	route := func(path, dedupe string) string {
		return `
	handle ` + path + ` {
		biohook entrust {
			secret entrust-scope-token
			dedupe {
				` + dedupe + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}`
	}
	return ":9080 {" + route("/staging/entrust", staging) + route("/production/entrust", production) + "\n}\n"
}

// scopedEvent is an Entrust event new to every store, with the headers that
// sign it for each path.
func scopedEvent(t *testing.T, paths ...string) ([]byte, map[string]http.Header) {
	id := "scope-" + strconv.FormatInt(eventSeq.Add(1), 10) + "-" + runID()
	body := []byte(fmt.Sprintf(`{"id":%q,"type":"user.updated","accountId":"a","eventTime":"2026-01-02T03:04:05Z","data":{"subject":"s"}}`, id))
	headers := map[string]http.Header{}
	for _, p := range paths {
		headers[p] = entrustHeaders(t, caddyBase+p, body, "entrust-scope-token", time.Now())
	}
	return body, headers
}

// The staging route's delivery of an event does not make production's
// delivery of the same event a duplicate: each route forwards it, and each
// answers its own copies as duplicates. On the memory store and on Redis.
func TestDedupeRoutesKeepTheirOwnEvents(t *testing.T) {
	stores := map[string]string{"memory": "store memory"}
	stores["redis"] = "store redis redis://" + redisAddr(t) + "\n\t\t\t\tkey_prefix biohook-scope-" + runID() + ":"
	for kind, store := range stores {
		t.Run(kind, func(t *testing.T) {
			up := newUpstream(t)
			run := runID()
			tester := startCaddy(t, twoEntrustRoutes(up,
				"name staging-"+run+"\n\t\t\t\t"+store, "name production-"+run+"\n\t\t\t\t"+store))
			paths := []string{"/staging/entrust", "/production/entrust"}
			body, headers := scopedEvent(t, paths...)
			for _, p := range paths {
				res, answer := post(t, tester, p, body, headers[p])
				mustStatus(t, res, answer, http.StatusOK)
				if res.Header.Get("Biohook-Duplicate") != "" {
					t.Fatalf("%s answered the event as a duplicate of the other route's: %q", p, answer)
				}
			}
			got := up.take()
			var reached []string
			for _, r := range got {
				reached = append(reached, r.Path)
			}
			slices.Sort(reached)
			if len(got) != 2 || reached[0] != "/production/entrust" || reached[1] != "/staging/entrust" {
				t.Fatalf("the event reached the app through %v, want each route once", reached)
			}
			for _, p := range paths { // each route still knows its own copy
				res, answer := post(t, tester, p, body, headers[p])
				if res.StatusCode != http.StatusOK || res.Header.Get("Biohook-Duplicate") != "true" {
					t.Fatalf("%s: a copy answered %d %q, want a duplicate", p, res.StatusCode, answer)
				}
			}
			if n := len(up.take()); n != 0 {
				t.Fatalf("copies forwarded: %d", n)
			}
		})
	}
}

// Two routes whose settings derive the same identity, neither named, would
// share a memory of events: the config is refused with a message that says
// what to do. Settings that differ only in secrets count as the same, so a
// rotation keeps a route's memory. A reload of a config is no clash with
// the config it replaces.
func TestDedupeRoutesAlikeNeedNames(t *testing.T) {
	up := newUpstream(t)
	caddytest.AssertLoadError(t, globals+twoEntrustRoutes(up, "", ""), "caddyfile", "give each a name")
	caddytest.AssertLoadError(t, globals+hmacRoutes(up, "", ""), "caddyfile", "give each a name")

	// Different settings (another header carries the signature): no clash;
	// loaded twice in a row, as a reload does, still none.
	differ := strings.Replace(hmacRoutes(up, "", ""), "header X-Sig\n\t\t\tsecret hmac-scope-secret-b", "header X-Other-Sig\n\t\t\tsecret hmac-scope-secret-b", 1)
	if differ == hmacRoutes(up, "", "") {
		t.Fatal("the test's config did not change")
	}
	startCaddy(t, differ)
	startCaddy(t, differ)
	startCaddy(t, twoEntrustRoutes(up, "name staging", "name production"))
	startCaddy(t, twoEntrustRoutes(up, "name staging", "name production"))
}

// hmacRoutes is two routes of the generic hmac vendor with different
// secrets (two senders, or two environments of one).
func hmacRoutes(up *upstream, a, b string) string {
	route := func(path, secret, dedupe string) string {
		return `
	handle ` + path + ` {
		biohook hmac {
			header X-Sig
			secret ` + secret + `
			dedupe {
				` + dedupe + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}`
	}
	return ":9080 {" + route("/hooks/a", "hmac-scope-secret-a", a) + route("/hooks/b", "hmac-scope-secret-b", b) + "\n}\n"
}

// Two hmac routes with different secrets no longer share one store: the
// same payload (so the same derived event id) sent to each is forwarded by
// each.
func TestDedupeHMACRoutesDoNotShareAStore(t *testing.T) {
	up := newUpstream(t)
	run := runID()
	tester := startCaddy(t, hmacRoutes(up, "name a-"+run, "name b-"+run))
	body := []byte(`{"event":"verification.approved","nonce":"` + run + `"}`)
	for _, r := range []struct{ path, secret string }{{"/hooks/a", "hmac-scope-secret-a"}, {"/hooks/b", "hmac-scope-secret-b"}} {
		res, answer := post(t, tester, r.path, body, hmacHeaders(t, "X-Sig", "", body, r.secret))
		mustStatus(t, res, answer, http.StatusOK)
		if res.Header.Get("Biohook-Duplicate") != "" {
			t.Fatalf("%s: answered as a duplicate of the other route's event", r.path)
		}
	}
	if n := len(up.take()); n != 2 {
		t.Fatalf("forwarded %d times, want once per route", n)
	}
}

// incodeDelivery is a new Incode event (its id is its transactionId) with
// the header that proves it.
func incodeDelivery(t *testing.T) ([]byte, http.Header) {
	time.Sleep(time.Microsecond) // unique's suffix is the time
	return unique(readFixture(t, "incode", "auth_pass.json")),
		http.Header{"Content-Type": {"application/json"}, "X-Key": {"incode-scope-key-01"}}
}

// A full memory store forgets nothing to make room: a new event is answered
// 503 with Retry-After (dedupe_store_full), a replay of the oldest event is
// still a duplicate, the episode is logged once, and the refusals are
// counted. Once entries expire, events flow again.
func TestDedupeFullStoreRefusesAndRemembers(t *testing.T) {
	up := newUpstream(t)
	site := `{
	admin 127.0.0.1:19291
	auto_https off
}
http://127.0.0.1:19191 {
	handle /hooks/incode {
		biohook incode {
			header X-Key incode-scope-key-01
			dedupe {
				max_entries 3
				ttl 2s
			}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
	inst := startInstance(t, site, "127.0.0.1:19191")
	url := "http://127.0.0.1:19191/hooks/incode"
	send := func(body []byte, h http.Header) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
		req.Header = h.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		answer, _ := io.ReadAll(res.Body)
		return res, string(answer)
	}
	var first []byte
	var header http.Header
	for i := 0; i < 3; i++ {
		body, h := incodeDelivery(t)
		if i == 0 {
			first, header = body, h
		}
		if res, answer := send(body, h); res.StatusCode != http.StatusOK {
			t.Fatalf("event %d: %d %q", i, res.StatusCode, answer)
		}
	}
	for i := 0; i < 3; i++ {
		body, h := incodeDelivery(t)
		res, answer := send(body, h)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || answer != errorBody("dedupe_store_full") {
			t.Fatalf("a new event with the store full: %d %q, Retry-After %q", res.StatusCode, answer, res.Header.Get("Retry-After"))
		}
	}
	res, answer := send(first, header)
	if res.StatusCode != http.StatusOK || res.Header.Get("Biohook-Duplicate") != "true" {
		t.Fatalf("a replay of the oldest event with the store full: %d %q", res.StatusCode, answer)
	}
	if n := len(up.take()); n != 3 {
		t.Fatalf("the app got %d events, want the first 3 only", n)
	}
	if n := countLines(inst.logs(), "dedupe store full"); n != 1 {
		t.Errorf("the full store was logged %d times, want once\n%s", n, inst.logs())
	}
	metrics := get(t, "http://127.0.0.1:19291/metrics")
	if !strings.Contains(metrics, `caddy_biohook_rejections_total{reason="dedupe_store_full",vendor="incode"} 3`) {
		t.Errorf("refusals not counted:\n%s", grepLines(metrics, "rejections_total"))
	}

	time.Sleep(2100 * time.Millisecond) // every ttl runs out
	body, h := incodeDelivery(t)
	if res, answer := send(body, h); res.StatusCode != http.StatusOK || len(up.take()) != 1 {
		t.Fatalf("after the entries expired: %d %q", res.StatusCode, answer)
	}
	if n := countLines(inst.logs(), "dedupe store has room again"); n != 1 {
		t.Errorf("the end of the episode was logged %d times, want once", n)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// A claim in flight is never evicted to make room: with the store full of
// it, a new event is refused, and a copy of the event in flight waits and is
// answered as a duplicate instead of being forwarded a second time.
func TestDedupeInFlightClaimSurvivesPressure(t *testing.T) {
	slow := newSlowUpstream(t, 800*time.Millisecond)
	tester := startCaddy(t, `
:9080 {
	handle /hooks/incode {
		biohook incode {
			header X-Key incode-scope-key-01
			dedupe {
				name pressure-`+runID()+`
				max_entries 1
				wait 3s
			}
		}
		reverse_proxy `+slow.addr()+`
	}
}
`)
	a, ha := incodeDelivery(t)
	var wg sync.WaitGroup
	var first int
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = postOnce(caddyBase+"/hooks/incode", a, ha)
	}()
	time.Sleep(200 * time.Millisecond) // a is in flight
	b, hb := incodeDelivery(t)
	res, answer := post(t, tester, "/hooks/incode", b, hb)
	if res.StatusCode != http.StatusServiceUnavailable || answer != errorBody("dedupe_store_full") {
		t.Errorf("a new event while the store is full of a claim: %d %q", res.StatusCode, answer)
	}
	res, answer = post(t, tester, "/hooks/incode", a, ha)
	wg.Wait()
	if first != http.StatusOK {
		t.Fatalf("the first delivery: %d", first)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Biohook-Duplicate") != "true" {
		t.Errorf("a copy of the event in flight: %d %q, want a duplicate", res.StatusCode, answer)
	}
	if n := slow.count(); n != 1 {
		t.Fatalf("the app got %d requests, want the event once", n)
	}
}

// Two durable routes sharing a spool each take and deliver an event that
// both receive; each answers its own copies as duplicates.
func TestDurableRoutesSharingASpoolKeepTheirOwnEvents(t *testing.T) {
	forEachSpool(t, func(t *testing.T, spool string) {
		up := newUpstream(t)
		route := func(path, name string) string {
			return `
	handle ` + path + ` {
		biohook entrust {
			secret entrust-scope-token
			durable {
				` + spool + `
				name ` + name + `
				retry exponential 50ms 200ms
			}
		}
		reverse_proxy ` + up.addr() + `
	}`
		}
		tester := startCaddy(t, ":9080 {"+route("/staging/entrust", "staging")+route("/production/entrust", "production")+"\n}\n")
		paths := []string{"/staging/entrust", "/production/entrust"}
		body, headers := scopedEvent(t, paths...)
		for _, p := range paths {
			res, answer := post(t, tester, p, body, headers[p])
			mustStatus(t, res, answer, http.StatusOK)
			if answer != `{"queued":true}` {
				t.Fatalf("%s: %q, want the event queued", p, answer)
			}
		}
		got := settled(t, up)
		var reached []string
		for _, r := range got {
			reached = append(reached, r.Path)
		}
		slices.Sort(reached)
		if len(got) != 2 || reached[0] != "/production/entrust" || reached[1] != "/staging/entrust" {
			t.Fatalf("delivered through %v, want each route once", reached)
		}
		res, answer := post(t, tester, paths[0], body, headers[paths[0]])
		if res.Header.Get("Biohook-Duplicate") != "true" {
			t.Fatalf("a copy after delivery: %q", answer)
		}
	})
}
