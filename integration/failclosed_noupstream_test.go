package integration

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A verified delivery that nothing after biohook answers is a failure the
// vendor retries (502 no_upstream, logged at ERROR), never an empty 200; with
// dedupe the event is not remembered, so the retry is not a "duplicate".
func TestNoUpstreamAnswers502(t *testing.T) {
	mark := captured.mark()
	tester := startCaptured(t, "", `
:9080 {
	@never header X-Never yes
	route /hooks/faceio {
		biohook faceio {
			secret fc-token-0123456789
			dedupe
		}
		respond @never "never" 200
	}
}`)
	body := readFixture(t, "faceio", "auth.json")
	for i := range 2 {
		res, answer := post(t, tester, "/hooks/faceio", body, faceioHeaders("fc-token-0123456789"))
		if res.StatusCode != http.StatusBadGateway || answer != errorBody("no_upstream") {
			t.Fatalf("delivery %d: %d %q, want 502 %s", i+1, res.StatusCode, answer, errorBody("no_upstream"))
		}
		if res.Header.Get("Biohook-Duplicate") != "" {
			t.Fatalf("delivery %d answered as a duplicate", i+1)
		}
	}
	logged := entries(t, captured.since(mark), "event not delivered: no handler after biohook answered it")
	if len(logged) != 2 || logged[0].Level != "error" || logged[0].Vendor != "faceio" || logged[0].EventID == "" {
		t.Fatalf("logged %+v, want two ERROR lines", logged)
	}
}

// The same on a durable route: the attempt fails with no_upstream, which the
// log and the dead letter in the admin API say.
func TestNoUpstreamDurable(t *testing.T) {
	mark := captured.mark()
	spool := filepath.Join(t.TempDir(), "spool.db")
	tester := startCaptured(t, "", `
:9080 {
	@never header X-Never yes
	route /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				spool bolt `+spool+`
				retry schedule 50ms
				attempts 1
			}
		}
		respond @never "never" 200
	}
}`)
	body, h := entrustEvent(t, "no-upstream")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	waitFor(t, 5*time.Second, "the event dead-lettered", func() bool { return len(deadLetters(t)) > 0 })
	letters := deadLetters(t)
	if reason := letters[len(letters)-1].Reason; !strings.Contains(reason, "no_upstream") {
		t.Errorf("dead letter reason %q, want no_upstream", reason)
	}
	if logged := entries(t, captured.since(mark), "event not delivered: no handler after biohook answered it"); len(logged) == 0 || logged[0].Level != "error" {
		t.Errorf("logged %+v, want an ERROR line", logged)
	}
}
