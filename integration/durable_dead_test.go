package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const adminBase = "http://localhost:2999"

func adminJSON(t *testing.T, method, path, body string, into any) {
	t.Helper()
	req, err := http.NewRequest(method, adminBase+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
}

// deadLetter is a dead letter as the admin API lists it.
type deadLetter struct {
	Key        string    `json:"key"`
	ID         string    `json:"id"`
	Route      string    `json:"route"`
	Type       string    `json:"type,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Spool      string    `json:"spool"`
	Attempts   int       `json:"attempts"`
	Enqueued   time.Time `json:"enqueued"`
	DeadAt     time.Time `json:"dead_at"`
	Reason     string    `json:"reason"`
	LastStatus int       `json:"last_status,omitempty"`
}

// spoolStats is a spool as the admin API shows it, with its routes.
type spoolStats struct {
	Spool  string `json:"spool"`
	Routes []struct {
		Route    string `json:"route"`
		Pending  int    `json:"pending"`
		InFlight int    `json:"in_flight"`
	} `json:"routes"`
	Dead int `json:"dead"`
}

func deadLetters(t *testing.T) []deadLetter {
	var letters []deadLetter
	adminJSON(t, http.MethodGet, "/biohook/dead", "", &letters)
	return letters
}

// An event is dead-lettered when its attempts run out, and at once when the
// app answers 410 Gone; listed and replayed through the admin API and the
// CLI, a dead letter is delivered once.
func TestDurableDeadLetterAndReplay(t *testing.T) {
	forEachSpool(t, testDurableDeadLetterAndReplay)
}

func testDurableDeadLetterAndReplay(t *testing.T, spool string) {
	up := newUpstream(t)
	up.answer(http.StatusInternalServerError, "broken")
	tester := startCaddy(t, durableSite(up, spool, "retry schedule 50ms 50ms 50ms\n attempts 2"))

	spent, h := entrustEvent(t, "dead-spent")
	res, answer := post(t, tester, "/hooks/entrust", spent, h)
	mustStatus(t, res, answer, http.StatusOK)
	waitFor(t, 5*time.Second, "the first event dead-lettered", func() bool { return len(deadLetters(t)) == 1 })
	if n := up.count(); n != 2 {
		t.Errorf("%d attempts before the dead letter, want 2", n)
	}

	up.answer(http.StatusGone, "unsubscribed")
	gone, h := entrustEvent(t, "dead-gone")
	res, answer = post(t, tester, "/hooks/entrust", gone, h)
	mustStatus(t, res, answer, http.StatusOK)
	waitFor(t, 5*time.Second, "the 410 event dead-lettered", func() bool { return len(deadLetters(t)) == 2 })
	if n := up.count(); n != 3 {
		t.Errorf("410 retried: %d attempts in all, want 3", n)
	}
	letters := deadLetters(t)
	if !strings.Contains(letters[0].Reason, "500") || !strings.Contains(letters[1].Reason, "410") {
		t.Errorf("reasons %q, %q", letters[0].Reason, letters[1].Reason)
	}
	var spools []spoolStats
	adminJSON(t, http.MethodGet, "/biohook/spool", "", &spools)
	if len(spools) == 0 || spools[len(spools)-1].Dead < 2 {
		t.Errorf("spool stats %+v", spools)
	}

	// What the admin API refuses.
	for _, bad := range []struct{ method, path, body string }{
		{http.MethodGet, "/biohook/dead/replay", ""},
		{http.MethodPost, "/biohook/dead", ""},
		{http.MethodPost, "/biohook/dead/replay", "{}"},
		{http.MethodPost, "/biohook/dead/replay", "not json"},
	} {
		req, _ := http.NewRequest(bad.method, adminBase+bad.path, strings.NewReader(bad.body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s %s %q: %d, want a 4xx", bad.method, bad.path, bad.body, res.StatusCode)
		}
	}
	if n := len(deadLetters(t)); n != 2 {
		t.Fatalf("refused calls changed the dead letters: %d", n)
	}

	// The CLI lists them.
	code, out, errOut := run(t, nil, "biohook", "dlq", "ls", "--address", "localhost:2999")
	if code != 0 || !strings.Contains(out, letters[0].ID) || !strings.Contains(out, letters[1].ID) {
		t.Fatalf("dlq ls: exit %d\n%s\n%s", code, out, errOut)
	}

	up.take()
	up.answer(http.StatusOK, "ok")
	var replayed map[string]int
	adminJSON(t, http.MethodPost, "/biohook/dead/replay", `{"ids":["`+letters[1].ID+`"]}`, &replayed)
	if replayed["replayed"] != 1 {
		t.Fatalf("replayed %v", replayed)
	}
	adminJSON(t, http.MethodPost, "/biohook/dead/replay", `{"ids":["`+letters[1].ID+`"]}`, &replayed)
	if replayed["replayed"] != 0 {
		t.Errorf("a replayed event replayed again: %v", replayed)
	}
	got := settled(t, up)
	if len(got) != 1 || !bytes.Contains(got[0].Body, []byte(letters[1].ID)) {
		t.Errorf("replay delivered %d requests", len(got))
	}

	// The CLI replays the other.
	code, out, errOut = run(t, nil, "biohook", "dlq", "replay", "--address", "localhost:2999", letters[0].Key)
	if code != 0 || !strings.Contains(out, "replayed 1") {
		t.Fatalf("dlq replay: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := settled(t, up); len(got) != 1 || !bytes.Contains(got[0].Body, []byte(letters[0].ID)) {
		t.Errorf("CLI replay delivered %d requests", len(got))
	}
	if n := len(deadLetters(t)); n != 0 {
		t.Errorf("%d dead letters left", n)
	}
}
