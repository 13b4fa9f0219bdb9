package integration

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// loggingTo is the globals with Caddy's log at DEBUG into path.
func loggingTo(path string) string {
	return strings.Replace(globals, "output stderr\n\t\tlevel ERROR", "output file "+path+"\n\t\tlevel DEBUG", 1)
}

// fileFrom reads path from offset on.
func fileFrom(t *testing.T, path string, offset int64) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b[min(offset, int64(len(b))):]
}

// caddyTester loads a whole Caddyfile, globals included, into the shared
// Caddy.
func caddyTester(t *testing.T, config string) *caddytest.Tester {
	t.Helper()
	tester := caddytest.NewTester(t)
	tester.InitServer(config, "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	return tester
}

const redisPassword = "hunter2-redis-password"

// badRedisURL does not parse (its port is no number); the password in it
// comes from the environment.
const badRedisURL = "redis://:{env.BIOHOOK_TEST_REDIS_PW}@127.0.0.1:notaport/0"

// A Redis URL that does not parse fails the config load with a message that
// says so, and neither the answer of /load nor Caddy's log holds the
// password, for dedupe's store and for the durable spool.
func TestRedisURLPasswordNotInLoadError(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_REDIS_PW", redisPassword)
	logPath := filepath.Join(t.TempDir(), "caddy.log")
	caddyTester(t, loggingTo(logPath)+":9080 {\n\trespond ok\n}\n")
	for name, block := range map[string]string{
		"dedupe":  "dedupe {\n\t\t\t\tstore redis " + badRedisURL + "\n\t\t\t}",
		"durable": "durable {\n\t\t\t\tspool redis " + badRedisURL + "\n\t\t\t}",
		"block":   "durable {\n\t\t\t\tspool redis {\n\t\t\t\t\turl " + badRedisURL + "\n\t\t\t\t}\n\t\t\t}",
	} {
		bad := loggingTo(logPath) + `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			` + block + `
		}
		respond ok
	}
}
`
		req, _ := http.NewRequest(http.MethodPost, adminBase+"/load", strings.NewReader(bad))
		req.Header.Set("Content-Type", "text/caddyfile")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode < 400 || !strings.Contains(string(msg), "redis url does not parse") {
			t.Errorf("%s: status %d, %s", name, res.StatusCode, msg)
		}
		if strings.Contains(string(msg), redisPassword) {
			t.Errorf("%s: the load error holds the password: %s", name, msg)
		}
	}
	if log := fileFrom(t, logPath, 0); bytes.Contains(log, []byte(redisPassword)) {
		t.Errorf("Caddy's log holds the password:\n%s", log)
	}
}

// The CLI says the same, and shows the password nowhere: `caddy validate`,
// `caddy biohook verify` (which provisions the route) and
// `caddy biohook dlq ls` (which reads the config's admin address).
func TestRedisURLPasswordNotInCLI(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "Caddyfile")
	err := os.WriteFile(config, []byte(`{
	admin localhost:`+strconv.Itoa(freePort(t))+`
}
http://127.0.0.1:`+strconv.Itoa(freePort(t))+` {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				spool redis `+badRedisURL+`
			}
		}
		respond ok
	}
}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	capture := "POST /hooks/entrust HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	for _, args := range [][]string{
		{"validate", "--config", config},
		{"biohook", "verify", "--config", config, "--route", "1"},
		{"biohook", "dlq", "ls", "--config", config},
	} {
		cmd := exec.Command(caddyBinary(t), args...)
		cmd.Env = append(os.Environ(), "BIOHOOK_TEST_REDIS_PW="+redisPassword)
		cmd.Stdin = strings.NewReader(capture)
		out, err := cmd.CombinedOutput()
		// dlq reads the config and provisions nothing; verify checks a
		// capture against the route without loading its dedupe or durable
		// store. Neither may leak the password either way.
		offline := args[0] == "biohook"
		if !offline && (err == nil || !strings.Contains(string(out), "redis url does not parse")) {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
		if strings.Contains(string(out), redisPassword) {
			t.Errorf("%v: the output holds the password:\n%s", args, out)
		}
	}
}
