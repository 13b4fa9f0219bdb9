package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var eventSeq atomic.Int64

// lastPostError is the last error a delivery got instead of an answer.
var lastPostError atomic.Value

func dedupeSite(up *upstream, store string) string {
	return `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			dedupe {
				ttl 1h
				` + store + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/incode {
		biohook incode {
			header X-Key incode-dedupe-key-01
			dedupe
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

// entrustEvent signs an Entrust event whose id starts with id and is new to
// every dedupe store of the process (they outlive config loads and tests).
func entrustEvent(t testing.TB, id string) ([]byte, http.Header) {
	id += "-" + strconv.FormatInt(eventSeq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	body := []byte(fmt.Sprintf(`{"id":%q,"type":"user.updated","accountId":"a","eventTime":"2026-01-02T03:04:05Z","data":{"subject":"s"}}`, id))
	return body, entrustHeaders(t, caddyBase+"/hooks/entrust", body, "entrust-dedupe-token", time.Now())
}

// A delivery of an event already accepted is answered as a success and not
// forwarded again; one whose forwarding failed is not remembered.
func TestDedupeThroughCaddy(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, dedupeSite(up, "store memory"))
	body, h := entrustEvent(t, "dedupe-1")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, 200)
	if res.Header.Get("Biohook-Duplicate") != "" || len(up.take()) != 1 {
		t.Fatal("the first delivery was not forwarded")
	}
	res, answer = post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, 200)
	if res.Header.Get("Biohook-Duplicate") != "true" || len(up.take()) != 0 {
		t.Fatalf("a duplicate was forwarded: %v %q", res.Header, answer)
	}
	// The upstream fails: the event is not remembered, so the retry goes through.
	body, h = entrustEvent(t, "dedupe-2")
	up.answer(503, "deploying")
	res, _ = post(t, tester, "/hooks/entrust", body, h)
	if res.StatusCode != 503 || len(up.take()) != 1 {
		t.Fatalf("status %d", res.StatusCode)
	}
	up.answer(200, "ok")
	res, _ = post(t, tester, "/hooks/entrust", body, h)
	if res.StatusCode != 200 || res.Header.Get("Biohook-Duplicate") != "" || len(up.take()) != 1 {
		t.Fatalf("the retry after a failure was not forwarded: %d", res.StatusCode)
	}
	// Incode's duplicates get Incode's acknowledgement.
	ih := http.Header{"Content-Type": {"application/json"}, "X-Key": {"incode-dedupe-key-01"}}
	incode := unique(readFixture(t, "incode", "auth_pass.json"))
	post(t, tester, "/hooks/incode", incode, ih)
	res, answer = post(t, tester, "/hooks/incode", incode, ih)
	if answer != `{"success":true}` || res.Header.Get("Biohook-Duplicate") != "true" || len(up.take()) != 1 {
		t.Fatalf("incode duplicate: %q %v", answer, res.Header)
	}
}

// The upstream is unreachable: a 502 the vendor retries, and the event is
// not remembered.
func TestDedupeUpstreamDown(t *testing.T) {
	tester := startCaddy(t, `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			dedupe
		}
		reverse_proxy 127.0.0.1:1
	}
}`)
	body, h := entrustEvent(t, "dedupe-down")
	for i := 0; i < 2; i++ {
		res, _ := post(t, tester, "/hooks/entrust", body, h)
		if res.StatusCode != 502 || res.Header.Get("Biohook-Duplicate") != "" {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
}

// Identical deliveries at the same moment are forwarded once; the copies
// wait for the outcome and are answered as duplicates.
func TestDedupeConcurrentCopies(t *testing.T) {
	slow := newSlowUpstream(t, 300*time.Millisecond)
	startCaddy(t, dedupeSite(slow, "store memory"))
	body, h := entrustEvent(t, "dedupe-concurrent")
	statuses := concurrentPosts(t, caddyBase+"/hooks/entrust", body, h, 50, 50)
	if n := slow.count(); n != 1 {
		t.Fatalf("forwarded %d times", n)
	}
	for status, n := range statuses {
		if status != 200 {
			t.Errorf("%d copies answered %d", n, status)
		}
	}
}

// concurrentPosts sends n copies of one delivery, c at a time, and counts
// the statuses.
func concurrentPosts(t *testing.T, url string, body []byte, h http.Header, n, c int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	sem := make(chan struct{}, c)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			status := postOnce(url, body, h)
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return statuses
}

func postOnce(url string, body []byte, h http.Header) int {
	return postWith(http.DefaultClient, url, body, h)
}

// postWith sends one delivery with client and returns the status, or 0 when
// no answer came.
func postWith(client *http.Client, url string, body []byte, h http.Header) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	req.Header = h.Clone()
	res, err := client.Do(req)
	if err != nil {
		lastPostError.Store(err.Error())
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func newSlowUpstream(t *testing.T, pause time.Duration) *upstream {
	u := newUpstream(t)
	inner := u.Server.Config.Handler
	u.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(pause)
		inner.ServeHTTP(w, r)
	})
	return u
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.requests)
}
