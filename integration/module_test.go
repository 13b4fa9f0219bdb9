package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

func faceioEntrustSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/faceio {
		biohook faceio {
			secret {env.BIOHOOK_TEST_FACEIO_OLD}
			secret {env.BIOHOOK_TEST_FACEIO_NEW}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/entrust {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func setSecrets(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_FACEIO_OLD", "faceio-old-token")
	t.Setenv("BIOHOOK_TEST_FACEIO_NEW", "faceio-new-token")
	t.Setenv("BIOHOOK_TEST_ENTRUST", "entrust-webhook-token")
}

// Every FACEIO fixture, sent as FACEIO sends it, reaches the upstream as its
// golden event, with either of the two secrets of a rotation.
func TestFACEIOThroughCaddy(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, faceioEntrustSite(up))
	for i, name := range fixtureNames(t, "faceio") {
		token := []string{"faceio-old-token", "faceio-new-token"}[i%2]
		res, answer := post(t, tester, "/hooks/faceio", readFixture(t, "faceio", name), faceioHeaders(token))
		mustStatus(t, res, answer, http.StatusOK)
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", name, len(got))
		}
		r := got[0]
		assertGolden(t, "faceio", name, r.Body)
		if ct := r.Header.Get("Content-Type"); ct != "application/cloudevents+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if r.Header.Get("Biohook-Vendor") != "faceio" || r.Header.Get("Biohook-Event-Id") == "" {
			t.Errorf("Biohook headers: %v", r.Header)
		}
		if r.Header.Get("WWW-Authenticate") != "" {
			t.Error("the token reached the upstream")
		}
	}
}

// Every Entrust event type, signed as IDaaS signs it, reaches the upstream
// as its golden event.
func TestEntrustThroughCaddy(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, faceioEntrustSite(up))
	names := fixtureNames(t, "entrust")
	if len(names) != 16 {
		t.Fatalf("want a fixture for each of the 16 event types, have %d", len(names))
	}
	for _, name := range names {
		body := readFixture(t, "entrust", name)
		h := entrustHeaders(t, caddyBase+"/hooks/entrust", body, "entrust-webhook-token", time.Now())
		res, answer := post(t, tester, "/hooks/entrust", body, h)
		mustStatus(t, res, answer, http.StatusOK)
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", name, len(got))
		}
		assertGolden(t, "entrust", name, got[0].Body)
		for _, cred := range []string{"Signature", "Signature-Input", "Content-Digest"} {
			if got[0].Header.Get(cred) != "" {
				t.Errorf("%s reached the upstream", cred)
			}
		}
		if id := got[0].Header.Get("Biohook-Event-Id"); !strings.HasPrefix(name, "") || id == "" {
			t.Errorf("no event id header")
		}
	}
}

// Each way a delivery can fail to prove itself has its status and reason,
// and the upstream receives nothing.
func TestRejectionsThroughCaddy(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, faceioEntrustSite(up))
	faceio := readFixture(t, "faceio", "auth.json")
	entrust := readFixture(t, "entrust", "face.biometric.created.json")
	url := caddyBase + "/hooks/entrust"
	signed := func() http.Header {
		return entrustHeaders(t, url, entrust, "entrust-webhook-token", time.Now())
	}
	withHeader := func(h http.Header, k, v string) http.Header { h.Set(k, v); return h }
	without := func(h http.Header, k string) http.Header { h.Del(k); return h }
	tampered := []byte(strings.Replace(string(entrust), "ACTIVATING", "ACTIVE", 1))
	cases := []struct {
		name, method, path string
		body               []byte
		header             http.Header
		status             int
		code               string
	}{
		{"faceio no token", "POST", "/hooks/faceio", faceio, without(faceioHeaders("x"), "WWW-Authenticate"), 401, "missing_token"},
		{"faceio wrong token", "POST", "/hooks/faceio", faceio, faceioHeaders("faceio-old-tokem"), 401, "token_mismatch"},
		{"faceio GET", "GET", "/hooks/faceio", nil, faceioHeaders("faceio-old-token"), 405, "method_not_allowed"},
		{"faceio text/plain", "POST", "/hooks/faceio", faceio, withHeader(faceioHeaders("faceio-old-token"), "Content-Type", "text/plain"), 415, "unsupported_media_type"},
		{"faceio gzip", "POST", "/hooks/faceio", faceio, withHeader(faceioHeaders("faceio-old-token"), "Content-Encoding", "gzip"), 415, "unsupported_encoding"},
		{"faceio broken JSON", "POST", "/hooks/faceio", []byte(`{"eventName":"AUTH",`), faceioHeaders("faceio-old-token"), 400, "invalid_json"},
		{"faceio too large", "POST", "/hooks/faceio", []byte(`{"x":"` + strings.Repeat("a", 1<<20) + `"}`), faceioHeaders("faceio-old-token"), 413, "too_large"},
		{"entrust unsigned", "POST", "/hooks/entrust", entrust, without(without(signed(), "Signature"), "Signature-Input"), 401, "missing_signature"},
		{"entrust no digest", "POST", "/hooks/entrust", entrust, without(signed(), "Content-Digest"), 401, "missing_digest"},
		{"entrust tampered body", "POST", "/hooks/entrust", tampered, signed(), 401, "digest_mismatch"},
		{"entrust other path", "POST", "/hooks/entrust?retry=1", entrust, signed(), 401, "signature_mismatch"},
		{"entrust wrong key", "POST", "/hooks/entrust", entrust, entrustHeaders(t, url, entrust, "guess", time.Now()), 401, "signature_mismatch"},
		{"entrust stale", "POST", "/hooks/entrust", entrust, entrustHeaders(t, url, entrust, "entrust-webhook-token", time.Now().Add(-time.Hour)), 401, "stale_signature"},
		{"entrust PUT", "PUT", "/hooks/entrust", entrust, signed(), 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, answer := send(t, tester, c.method, c.path, c.body, c.header)
			mustStatus(t, res, answer, c.status)
			if answer != errorBody(c.code) {
				t.Errorf("answer %q, want %q", answer, errorBody(c.code))
			}
			if strings.Contains(answer, "token") && c.code != "missing_token" && c.code != "token_mismatch" {
				t.Errorf("answer mentions a token: %q", answer)
			}
			if got := up.take(); len(got) != 0 {
				t.Errorf("upstream received %d requests", len(got))
			}
		})
	}
}

// The upstream's answer goes back to the vendor as it is.
func TestUpstreamAnswerPassesThrough(t *testing.T) {
	setSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, faceioEntrustSite(up))
	up.answer(http.StatusAccepted, `{"queued":true}`, "X-App: yes")
	res, answer := post(t, tester, "/hooks/faceio", readFixture(t, "faceio", "auth.json"), faceioHeaders("faceio-new-token"))
	mustStatus(t, res, answer, http.StatusAccepted)
	if answer != `{"queued":true}` || res.Header.Get("X-App") != "yes" {
		t.Errorf("answer changed: %q %v", answer, res.Header)
	}
	up.answer(http.StatusServiceUnavailable, "down")
	res, answer = post(t, tester, "/hooks/faceio", readFixture(t, "faceio", "auth.json"), faceioHeaders("faceio-new-token"))
	mustStatus(t, res, answer, http.StatusServiceUnavailable)
}

// A rewrite before the handler does not change what Entrust signed: the
// target URI is the one the vendor called. normalize off forwards the body
// exactly as it came.
func TestEntrustAfterRewriteAndNormalizeOff(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ENTRUST", "entrust-webhook-token")
	up := newUpstream(t)
	tester := startCaddy(t, `
:9080 {
	handle_path /public/* {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
			normalize off
		}
		reverse_proxy `+up.addr()+`
	}
}
`)
	body := readFixture(t, "entrust", "authentication.failed.json")
	url := caddyBase + "/public/entrust/in?tenant=7"
	res, answer := post(t, tester, "/public/entrust/in?tenant=7", body, entrustHeaders(t, url, body, "entrust-webhook-token", time.Now()))
	mustStatus(t, res, answer, http.StatusOK)
	got := up.take()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests", len(got))
	}
	if string(got[0].Body) != string(body) {
		t.Errorf("normalize off changed the body:\n%s", got[0].Body)
	}
	if got[0].Path != "/entrust/in?tenant=7" {
		t.Errorf("upstream path %q", got[0].Path)
	}
	if got[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", got[0].Header.Get("Content-Type"))
	}
}

// Secrets can come from files, as container secrets do.
func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faceio")
	if err := os.WriteFile(path, []byte("file-faceio-token-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t)
	tester := startCaddy(t, `
:9080 {
	biohook faceio {
		secret {file.`+path+`}
	}
	reverse_proxy `+up.addr()+`
}
`)
	res, answer := post(t, tester, "/", readFixture(t, "faceio", "enroll.json"), faceioHeaders("file-faceio-token-01"))
	mustStatus(t, res, answer, http.StatusOK)
	if len(up.take()) != 1 {
		t.Fatal("upstream got nothing")
	}
}
