package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// The Quick start's config, examples/Caddyfile, is safe to copy: it
// listens on loopback only, genuine deliveries reach the app, and when the
// app is down the error Caddy logs (with the request's headers) holds no
// credential. Only its ports are changed for the test.
func TestQuickStartExample(t *testing.T) {
	raw, err := os.ReadFile("../examples/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	adapted, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(raw, map[string]any{"filename": "../examples/Caddyfile"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Listen []string `json:"listen"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(adapted, &cfg); err != nil {
		t.Fatal(err)
	}
	for name, srv := range cfg.Apps.HTTP.Servers {
		for _, l := range srv.Listen {
			host, _, err := net.SplitHostPort(strings.TrimPrefix(l, "tcp/"))
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				t.Errorf("server %s listens on %q: not loopback only", name, l)
			}
		}
	}

	up := newUpstream(t)
	port, admin := freePort(t), freePort(t)
	config := strings.NewReplacer(":8080 {", fmt.Sprintf(":%d {", port), "localhost:2019", fmt.Sprintf("127.0.0.1:%d", admin),
		"localhost:9000", up.addr()).Replace(string(raw))
	const token = "quick-start-faceio-4d1e"
	inst := startInstance(t, config, fmt.Sprintf("127.0.0.1:%d", port), "FACEIO_WEBHOOK_TOKEN="+token, "ENTRUST_WEBHOOK_TOKEN=quick-start-entrust")

	// 127.0.0.2 is this machine too, but not the address it listens on.
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.2:%d", port), time.Second); err == nil {
		c.Close()
		t.Errorf("the example accepts connections on 127.0.0.2: it listens on more than loopback")
	}

	to := fmt.Sprintf("http://localhost:%d/hooks/faceio", port)
	args := []string{"biohook", "send", "--vendor", "faceio", "--secret", token, "--to", to}
	status, out, stderr := run(t, nil, args...)
	if status != 0 || len(up.take()) != 1 {
		t.Fatalf("a genuine delivery: exit %d\n%s%s", status, out, stderr)
	}
	up.Close() // the app is down: Caddy logs the failed request
	if status, out, _ = run(t, nil, args...); status != 1 || !strings.Contains(out, "502 Bad Gateway") {
		t.Fatalf("app down: exit %d\n%s", status, out)
	}
	time.Sleep(200 * time.Millisecond)
	logs := inst.logs()
	if !strings.Contains(logs, `"logger":"http.log.error"`) || !strings.Contains(logs, `"uri":"/hooks/faceio"`) {
		t.Fatalf("no error log of the request: the test saw nothing\n%s", logs)
	}
	if strings.Contains(logs, token) {
		i := strings.Index(logs, token)
		t.Errorf("FACEIO's token is in the logs: ...%s...", logs[max(0, i-300):min(len(logs), i+50)])
	}
}
