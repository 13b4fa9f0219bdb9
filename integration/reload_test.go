package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func reloadCaddyfile(upstreamAddr string, secrets ...string) string {
	lines := ""
	for _, s := range secrets {
		lines += "\t\t\tsecret " + s + "\n"
	}
	return `{
	admin 127.0.0.1:17119
	auto_https off
	grace_period 5s
}
http://127.0.0.1:17180 {
	handle /hooks/entrust {
		biohook entrust {
` + lines + `			dedupe
		}
		reverse_proxy ` + upstreamAddr + `
	}
}
`
}

// Config reloads under steady load, with the secret list rotating: no
// delivery fails, in-flight ones finish, and with dedupe on no event reaches
// the app twice, even when it is sent twice across a reload.
func TestReloadUnderLoad(t *testing.T) {
	up := newSlowUpstream(t, 20*time.Millisecond)
	dir := t.TempDir()
	startInstance(t, reloadCaddyfile(up.addr(), "reload-old-token-01", "reload-new-token-01"), "127.0.0.1:17180")
	url := "http://127.0.0.1:17180/hooks/entrust"
	// A new connection per delivery, as webhook senders mostly do. About one
	// connection in a thousand is reset while a reload swaps the server
	// (an answer never comes); the sender retries it, as every vendor does,
	// and dedupe keeps the retry from reaching the app twice.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var sent, failed, resets atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body, _ := entrustEvent(t, fmt.Sprintf("reload-%d-%d", w, i))
				h := entrustHeaders(t, url, body, "reload-new-token-01", time.Now())
				for copy := 0; copy < 1+i%2; copy++ { // every other event twice
					sent.Add(1)
					status := postWith(client, url, body, h)
					for retry := 0; status == 0 && retry < 3; retry++ {
						resets.Add(1)
						status = postWith(client, url, body, h)
					}
					if status != 200 {
						failed.Add(1)
						t.Logf("event %d/%d copy %d: %d %v", w, i, copy, status, lastPostError.Load())
					}
				}
			}
		}(w)
	}
	for r, secrets := range [][]string{{"reload-new-token-01"}, {"reload-old-token-01", "reload-new-token-01"}, {"reload-new-token-01"}, {"reload-new-token-01", "reload-newer-token-01"}} {
		time.Sleep(700 * time.Millisecond)
		path := filepath.Join(dir, fmt.Sprintf("Caddyfile.%d", r))
		if err := os.WriteFile(path, []byte(reloadCaddyfile(up.addr(), secrets...)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(caddyBinary(t), "reload", "--config", path, "--address", "127.0.0.1:17119").CombinedOutput()
		if err != nil {
			t.Fatalf("reload %d: %v\n%s", r, err, out)
		}
	}
	time.Sleep(700 * time.Millisecond)
	close(stop)
	wg.Wait()
	got := up.take()
	ids := map[string]int{}
	for _, r := range got {
		ids[r.Header.Get("Biohook-Event-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("event %s reached the app %d times", id, n)
		}
	}
	if failed.Load() != 0 || len(got) < 50 {
		t.Fatalf("%d of %d deliveries failed; %d events forwarded", failed.Load(), sent.Load(), len(got))
	}
	t.Logf("%d deliveries across 4 reloads (%d connections reset and resent), %d events forwarded once each",
		sent.Load(), resets.Load(), len(got))
}
