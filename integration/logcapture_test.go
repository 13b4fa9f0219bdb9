package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
)

func init() {
	caddy.RegisterModule(captureWriter{})
}

// captureWriter is a log output for tests: everything the logs that use it
// write is kept in captured.
type captureWriter struct{}

func (captureWriter) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "caddy.logging.writers.biohook_capture", New: func() caddy.Module { return new(captureWriter) }}
}
func (captureWriter) String() string                                   { return "biohook_capture" }
func (captureWriter) WriterKey() string                                { return "biohook_capture" }
func (captureWriter) OpenWriter() (io.WriteCloser, error)              { return captured, nil }
func (*captureWriter) UnmarshalCaddyfile(d *caddyfile.Dispenser) error { d.Next(); return nil }

type captureBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

var captured = new(captureBuffer)

func (c *captureBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}
func (c *captureBuffer) Close() error { return nil }

// mark is where the log is now; since returns what was written after it.
func (c *captureBuffer) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Len()
}

func (c *captureBuffer) since(mark int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()[mark:]
}

// logEntry is a captured JSON log line.
type logEntry struct {
	Level   string   `json:"level"`
	Msg     string   `json:"msg"`
	Vendor  string   `json:"vendor"`
	Logs    []string `json:"logs"`
	Headers []string `json:"headers"`
	URI     bool     `json:"uri"`
	Listen  string   `json:"listen"`
	Redis   string   `json:"redis"`
	EventID string   `json:"event_id"`
}

func entries(t *testing.T, out, msg string) []logEntry {
	t.Helper()
	var found []logEntry
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		var e logEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		found = append(found, e)
	}
	return found
}

// captureGlobals logs WARN and above to captured, formatted by format.
func captureGlobals(format string) string {
	return `{
	admin localhost:2999
	http_port 9080
	https_port 9443
	skip_install_trust
	grace_period 1ns
	log {
		output biohook_capture
		level WARN
		` + format + `
	}
}
`
}

// startCaptured loads site with the default log, WARN and above, going to
// captured, formatted by format.
func startCaptured(t *testing.T, format, site string) *caddytest.Tester {
	t.Helper()
	tester := caddytest.NewTester(t)
	tester.InitServer(captureGlobals(format)+site, "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	return tester
}
