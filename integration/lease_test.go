package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

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
