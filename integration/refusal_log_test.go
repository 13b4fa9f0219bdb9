package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// A delivery refused because its payload cannot be decoded is logged with
// its reason and the byte offset where decoding stopped, never with text
// of the payload: member names (which a decoder's JSON pointer would give),
// values (a number out of range) or characters.
func TestRefusalLogCarriesNoPayloadText(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ENTRUST", "entrust-webhook-token")
	logPath := filepath.Join(t.TempDir(), "caddy.log")
	up := newUpstream(t)
	tester := caddytest.NewTester(t)
	tester.InitServer(`{
	admin localhost:2999
	http_port 9080
	https_port 9443
	skip_install_trust
	grace_period 1ns
	log {
		output file `+logPath+`
		format json
		level WARN
	}
}
:9080 {
	handle /hooks/faceio {
		biohook faceio {
			secret faceio-webhook-token
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/entrust {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/incode {
		biohook incode {
			header X-Incode-Key incode-header-key-0123
		}
		reverse_proxy `+up.addr()+`
	}
}`, "caddyfile")
	leaks := []string{"leakdup_k2", "leakmember_q9", "leakinner_z3", "7.77e777", "leakfield_w5", "leakvalue_v8"}
	cases := []struct {
		path string
		body string
	}{
		{"/hooks/faceio", `{"eventName":"AUTH","leakdup_k2":1,"leakdup_k2":2}`},
		{"/hooks/faceio", `{"eventName":"AUTH","leakmember_q9":{"leakinner_z3":tru}}`},
		{"/hooks/incode", `{"overallStatus":"PASS","spoofConfidence":7.77e777}`},
		{"/hooks/incode", `{"overallStatus":"PASS","faceMatch":"leakvalue_v8"}`},
		{"/hooks/entrust", `{"id":"1","type":"user.created","data":{"leakfield_w5":"a","leakfield_w5":"b"}}`},
		{"/hooks/entrust", `{"id":"1","type":"user.created","data":{"leakmember_q9":[1,}}`},
	}
	for _, c := range cases {
		h := http.Header{"Content-Type": {"application/json"}}
		switch c.path {
		case "/hooks/faceio":
			h = faceioHeaders("faceio-webhook-token")
		case "/hooks/entrust":
			h = entrustHeaders(t, caddyBase+c.path, []byte(c.body), "entrust-webhook-token", time.Now())
		case "/hooks/incode":
			h.Set("X-Incode-Key", "incode-header-key-0123")
		}
		res, answer := post(t, tester, c.path, []byte(c.body), h)
		if res.StatusCode != 400 || answer != errorBody("invalid_json") {
			t.Errorf("%s %s: %d %s", c.path, c.body, res.StatusCode, answer)
		}
	}
	if n := len(up.take()); n != 0 {
		t.Fatalf("upstream received %d", n)
	}
	var logs string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(logPath)
		if logs = string(b); strings.Count(logs, `"delivery refused"`) >= len(cases) {
			break
		}
	}
	if got := strings.Count(logs, `"delivery refused"`); got != len(cases) {
		t.Fatalf("%d refusals logged, want %d:\n%s", got, len(cases), logs)
	}
	if strings.Count(logs, "at byte ") < len(cases) {
		t.Errorf("the refusals do not say where decoding stopped:\n%s", logs)
	}
	for _, leak := range leaks {
		if i := strings.Index(logs, leak); i >= 0 {
			t.Errorf("the log carries payload text %q: ...%s...", leak, logs[max(0, i-150):min(len(logs), i+60)])
		}
	}
}
