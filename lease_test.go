package biohook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A buffer is not reused while a reader of it is open, however many new
// leases are taken meanwhile, and a closed reader never reads again.
func TestLeaseOutlivesHandlerWhileReaderOpen(t *testing.T) {
	want := bytes.Repeat([]byte("first delivery "), 100)
	l := newLease(len(want), true)
	l.buf = append(l.buf, want...)
	rd, err := l.reader()
	if err != nil {
		t.Fatal(err)
	}
	l.release() // the handler returns; the transport is still sending
	for i := 0; i < 100; i++ {
		other := newLease(len(want), true)
		other.buf = append(other.buf, bytes.Repeat([]byte("x"), len(want))...)
		other.release()
	}
	got, err := io.ReadAll(rd)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reader read %d bytes (%v), not the delivery it was given", len(got), err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := rd.Read(make([]byte, 8)); n != 0 || !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after close: %d, %v", n, err)
	}
	if _, err := l.reader(); !errors.Is(err, errBodyReleased) {
		t.Fatalf("a new reader of a released lease: %v", err)
	}
	if l.refs.Load() != 0 {
		t.Fatalf("refs = %d after every holder let go", l.refs.Load())
	}
}

// Closing twice releases once: the second close must not hand the buffer
// back while the handler still holds it.
func TestLeaseDoubleClose(t *testing.T) {
	l := newLease(16, true)
	rd, _ := l.reader()
	_ = rd.Close()
	_ = rd.Close()
	if l.refs.Load() != 1 {
		t.Fatalf("refs = %d, want the handler's 1", l.refs.Load())
	}
	l.release()
}

// A transport may close the body while another goroutine reads it.
func TestLeaseReadRacesClose(t *testing.T) {
	for i := 0; i < 200; i++ {
		l := newLease(4096, true)
		l.buf = append(l.buf, bytes.Repeat([]byte("y"), 4096)...)
		rd, _ := l.reader()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, rd) }()
		go func() { defer wg.Done(); _ = rd.Close() }()
		l.release()
		wg.Wait()
		if l.refs.Load() != 0 {
			t.Fatalf("refs = %d", l.refs.Load())
		}
	}
}

// Buffers larger than pooledCap and those of a durable route are never
// handed to the pool.
func TestLeaseNotPooled(t *testing.T) {
	for _, l := range []*lease{newLease(pooledCap+1, true), newLease(10, false)} {
		if l.pooled || l.box != nil {
			t.Fatalf("lease of cap %d is pooled", cap(l.buf))
		}
		l.release()
	}
	l := newLease(10, true)
	l.buf = append(l.buf, make([]byte, pooledCap+1)...) // grew past the cap
	box := l.box
	l.release()
	if *box != nil {
		t.Fatal("a buffer grown past pooledCap went back to the pool")
	}
}

// Many deliveries at once, some to an app that answers before it has read
// the body: every event the app receives is the one its delivery carried,
// never bytes of another, and every delivery is answered.
func TestConcurrentDeliveriesKeepTheirOwnBytes(t *testing.T) {
	setSecrets(t)
	var mu sync.Mutex
	seen := map[string]int{}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/early" {
			w.WriteHeader(http.StatusOK) // answered before the body is read
			return
		}
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			ID   string `json:"id"`
			Data struct {
				Raw struct {
					ID   string `json:"id"`
					Note string `json:"note"`
				} `json:"raw"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != ev.Data.Raw.ID || ev.Data.Raw.Note != strings.Repeat(ev.ID, 40) {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		mu.Lock()
		seen[ev.ID]++
		mu.Unlock()
	}))
	t.Cleanup(app.Close)
	addr := strings.TrimPrefix(app.URL, "http://")
	startCaddy(t, fmt.Sprintf(`:9080 {
	handle /hooks/early {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		rewrite * /early
		reverse_proxy %[1]s
	}
	handle /hooks/entrust {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		reverse_proxy %[1]s
	}
}
`, addr))
	const workers, each = 16, 25
	var wg sync.WaitGroup
	failures := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				path := "/hooks/entrust"
				if i%3 == 0 {
					path = "/hooks/early"
				}
				id := fmt.Sprintf("evt-%02d-%03d", w, i)
				body := []byte(fmt.Sprintf(`{"id":%q,"type":"user.created","eventTime":"2026-03-16T19:35:16Z","data":{},"note":%q}`,
					id, strings.Repeat(id, 40)))
				h := entrustHeaders(t, caddyBase+path, body, "entrust-webhook-token", time.Now())
				if status := postOnce(caddyBase+path, body, h); status != http.StatusOK {
					failures <- fmt.Sprintf("%s %s: %d", path, id, status)
				}
			}
		}(w)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	want := workers * (each - (each+2)/3) // the early ones are never read
	if len(seen) < want {
		t.Fatalf("the app read %d distinct events, want at least %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
}

// A fallback in handle_errors gets the whole event when the first proxy
// could not connect, and no complete request (the vendor a 502 to retry)
// when the first upstream had already taken part of it: never a cut event
// passed as whole.
func TestFallbackGetsWholeEventOrNone(t *testing.T) {
	setSecrets(t)
	var mu sync.Mutex
	var lengths []int
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/partial" { // reads some of the event, then drops the connection
			_, _ = io.ReadFull(r.Body, make([]byte, 1000))
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // a request cut short: the app's server sees it fail, as any app would
		}
		mu.Lock()
		lengths = append(lengths, len(body))
		mu.Unlock()
	}))
	t.Cleanup(app.Close)
	addr := strings.TrimPrefix(app.URL, "http://")
	startCaddy(t, fmt.Sprintf(`:9080 {
	handle /hooks/dead {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		reverse_proxy 127.0.0.1:1
	}
	handle /hooks/partial {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		rewrite * /partial
		reverse_proxy %s
	}
	handle_errors {
		rewrite * /fallback
		reverse_proxy %s {
			request_buffers 1MB
		}
	}
}
`, addr, addr))
	note := strings.Repeat("n", 12000)
	for _, c := range []struct {
		path   string
		status int
	}{{"/hooks/dead", http.StatusOK}, {"/hooks/partial", http.StatusBadGateway}} {
		body := []byte(fmt.Sprintf(`{"id":"evt%s","type":"user.created","data":{},"note":%q}`, strings.ReplaceAll(c.path, "/", "-"), note))
		h := entrustHeaders(t, caddyBase+c.path, body, "entrust-webhook-token", time.Now())
		if status := postOnce(caddyBase+c.path, body, h); status != c.status {
			t.Errorf("%s: %d, want %d", c.path, status, c.status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lengths) != 1 || lengths[0] <= len(note) {
		t.Fatalf("the fallback received events of lengths %v, want one whole event", lengths)
	}
}
