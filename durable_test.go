package biohook

import (
	"net/http"
	"path/filepath"
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
				spool bolt ` + spool + `
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

// The vendor is answered once the event is stored; the app gets it through
// the route, retried until it answers 2xx, with an Idempotency-Key.
func TestDurableRetriesUntilDelivered(t *testing.T) {
	up := newUpstream(t)
	up.answer(http.StatusServiceUnavailable, "deploying")
	spool := filepath.Join(t.TempDir(), "spool.db")
	tester := startCaddy(t, durableSite(up, spool, "retry schedule 50ms 50ms 50ms 50ms"))

	body, h := entrustEvent(t, "durable-1")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	if answer != `{"queued":true}` {
		t.Fatalf("answer %q", answer)
	}
	waitFor(t, 5*time.Second, "two failed attempts", func() bool { return up.count() >= 2 })
	up.answer(http.StatusOK, "ok")
	got := settled(t, up)
	last := got[len(got)-1]
	if last.Header.Get("Biohook-Attempt") < "3" {
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
