package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biohook/caddy-biohook/verify"
)

const (
	argosKey       = "argos-test-api-key" // the key testdata/argos/{ecb,cbc,gcm} are encrypted with
	argosHeaderVal = "argos-header-secret"
	argosPathToken = "Zq81-argos-path-token"
)

func argosSite(up *upstream) string {
	proxy := "\t\treverse_proxy " + up.addr() + "\n\t}\n"
	return `
:9080 {
	handle /argos/ecb {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
			source_ips 127.0.0.1 ::1
		}
` + proxy + `
	handle /argos/cbc {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode cbc
		}
` + proxy + `
	handle /argos/gcm {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode gcm
		}
` + proxy + `
	handle /argos/plain {
		biohook argos {
			header X-Argos-Token {env.BIOHOOK_TEST_ARGOS_HEADER}
		}
` + proxy + `
	handle /hooks/argos/* {
		rewrite * /hooks/argos
		biohook argos {
			path_token {env.BIOHOOK_TEST_ARGOS_PATH}
		}
` + proxy + `}
`
}

func startArgos(t *testing.T) (*upstream, func(path string, body []byte, h http.Header) (*http.Response, string)) {
	t.Helper()
	t.Setenv("BIOHOOK_TEST_ARGOS_KEY", argosKey)
	t.Setenv("BIOHOOK_TEST_ARGOS_HEADER", argosHeaderVal)
	t.Setenv("BIOHOOK_TEST_ARGOS_PATH", argosPathToken)
	up := newUpstream(t)
	tester := startCaddy(t, argosSite(up))
	return up, func(path string, body []byte, h http.Header) (*http.Response, string) {
		t.Helper()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", "application/json")
		return post(t, tester, path, body, h)
	}
}

// argosEncrypt seals plain with the test key as ARGOS does.
func argosEncrypt(t *testing.T, mode verify.CipherMode, enc verify.CiphertextEncoding, plain []byte) []byte {
	t.Helper()
	c, err := verify.NewPayloadCipher([]byte(argosKey), verify.CipherOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Encrypt(plain, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"data": verify.EncodeCiphertext(ct, enc)})
	return body
}

// mustForwardGolden checks the one request the upstream received against
// the golden event of fixture name.
func mustForwardGolden(t *testing.T, up *upstream, name string) received {
	t.Helper()
	got := up.take()
	if len(got) != 1 {
		t.Fatalf("%s: upstream got %d requests", name, len(got))
	}
	r := got[0]
	assertGolden(t, "argos", name, r.Body)
	var ev struct{ ID string }
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("Content-Type") != "application/cloudevents+json" || r.Header.Get("Biohook-Vendor") != "argos" ||
		r.Header.Get("Biohook-Event-Id") != ev.ID {
		t.Errorf("%s: headers %v", name, r.Header)
	}
	return r
}

// Every mode decrypts every encoding, and the app receives the event its
// plaintext twin gives; the committed encrypted fixtures of each mode too.
func TestARGOSModesThroughCaddy(t *testing.T) {
	up, send := startArgos(t)
	names := fixtureNames(t, "argos")
	modes := []verify.CipherMode{verify.ModeECB, verify.ModeCBC, verify.ModeGCM}
	encodings := []verify.CiphertextEncoding{verify.Base64, verify.Base64URL, verify.Hex}
	i := 0
	for _, mode := range modes {
		for _, enc := range encodings {
			name := names[i%len(names)]
			i++
			body := argosEncrypt(t, mode, enc, readFixture(t, "argos", name))
			res, answer := send("/argos/"+string(mode), body, nil)
			mustStatus(t, res, answer, http.StatusOK)
			mustForwardGolden(t, up, name)
		}
		for _, name := range names {
			body := readFixture(t, "argos", filepath.Join(string(mode), name))
			res, answer := send("/argos/"+string(mode), body, nil)
			mustStatus(t, res, answer, http.StatusOK)
			mustForwardGolden(t, up, name)
		}
	}
}

// Plaintext deliveries proved by a static header reach the app, without
// the header.
func TestARGOSHeaderThroughCaddy(t *testing.T) {
	up, send := startArgos(t)
	for _, name := range fixtureNames(t, "argos") {
		h := http.Header{}
		h.Set("X-Argos-Token", argosHeaderVal)
		res, answer := send("/argos/plain", readFixture(t, "argos", name), h)
		mustStatus(t, res, answer, http.StatusOK)
		if r := mustForwardGolden(t, up, name); r.Header.Get("X-Argos-Token") != "" {
			t.Fatal("the header secret reached the app")
		}
	}
}

// A token in the URL path proves the delivery; a rewrite keeps it out of
// the path the app sees.
func TestARGOSPathTokenThroughCaddy(t *testing.T) {
	up, send := startArgos(t)
	res, answer := send("/hooks/argos/"+argosPathToken, readFixture(t, "argos", "approved.json"), nil)
	mustStatus(t, res, answer, http.StatusOK)
	if r := mustForwardGolden(t, up, "approved.json"); r.Path != "/hooks/argos" {
		t.Errorf("the app saw path %q", r.Path)
	}
	cases := map[string]string{
		"/hooks/argos/" + argosPathToken + "x": "path_token_mismatch",
		"/hooks/argos/":                        "missing_path_token",
		"/hooks/argos/x?t=" + argosPathToken:   "path_token_mismatch",
	}
	for path, code := range cases {
		res, answer := send(path, readFixture(t, "argos", "approved.json"), nil)
		mustStatus(t, res, answer, http.StatusUnauthorized)
		if answer != errorBody(code) || len(up.take()) != 0 {
			t.Errorf("%s: answer %q, or the app received it", path, answer)
		}
	}
}

// Each bad delivery gets its 4xx and reason, and the app receives nothing.
func TestARGOSRejectionsThroughCaddy(t *testing.T) {
	up, send := startArgos(t)
	plain := readFixture(t, "argos", "rejected.json")
	sealed := readFixture(t, "argos", filepath.Join("ecb", "rejected.json"))
	var env struct{ Data string }
	if err := json.Unmarshal(sealed, &env); err != nil {
		t.Fatal(err)
	}
	ct, _ := verify.DecodeCiphertext(env.Data)
	wrap := func(b []byte) []byte { return []byte(`{"data":"` + verify.EncodeCiphertext(b, verify.Base64) + `"}`) }
	other, _ := verify.NewPayloadCipher([]byte("not-the-key"), verify.CipherOptions{Mode: verify.ModeECB})
	garbage, _ := other.Encrypt(plain, rand.Reader)
	header := http.Header{"X-Argos-Token": {argosHeaderVal}}
	cases := []struct {
		name, path string
		body       []byte
		header     http.Header
		status     int
		code       string
	}{
		{"plaintext to a decrypting route", "/argos/ecb", plain, nil, 401, "plaintext_refused"},
		{"data not a string", "/argos/ecb", []byte(`{"data":{"webhook_trigger":"approved"}}`), nil, 401, "plaintext_refused"},
		{"truncated", "/argos/ecb", wrap(ct[:32]), nil, 401, "decryption_failed"},
		{"not block aligned", "/argos/ecb", wrap(ct[:len(ct)-1]), nil, 401, "decryption_failed"},
		{"another key", "/argos/ecb", wrap(garbage), nil, 401, "decryption_failed"},
		{"ecb sent to the gcm route", "/argos/gcm", sealed, nil, 401, "decryption_failed"},
		{"decrypts to text", "/argos/ecb", argosEncrypt(t, verify.ModeECB, verify.Hex, []byte("not json")), nil, 401, "decryption_failed"},
		{"not base64", "/argos/cbc", []byte(`{"data":"%%%"}`), nil, 401, "decryption_failed"},
		{"broken JSON", "/argos/ecb", []byte(`{"data":"`), nil, 400, "invalid_json"},
		{"missing trigger, encrypted", "/argos/gcm", argosEncrypt(t, verify.ModeGCM, verify.Base64, []byte(`{"submission_id":"s"}`)), nil, 400, "missing_trigger"},
		{"missing trigger, plaintext", "/argos/plain", []byte(`{"submission_id":"s"}`), header, 400, "missing_trigger"},
		{"no header", "/argos/plain", plain, nil, 401, "missing_header"},
		{"wrong header", "/argos/plain", plain, http.Header{"X-Argos-Token": {argosHeaderVal + "!"}}, 401, "header_mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, answer := send(c.path, c.body, c.header)
			mustStatus(t, res, answer, c.status)
			if answer != errorBody(c.code) {
				t.Errorf("answer %q, want %q", answer, errorBody(c.code))
			}
			if strings.Contains(answer, argosKey) || strings.Contains(answer, argosHeaderVal) || strings.Contains(answer, "KIM JI") {
				t.Errorf("answer leaks a secret or personal data: %q", answer)
			}
			if got := up.take(); len(got) != 0 {
				t.Errorf("upstream received %d requests", len(got))
			}
		})
	}
}

// A config with an ARGOS route that checks nothing does not load, says why,
// and the running config keeps serving.
func TestARGOSWithoutCheckRefusesToStart(t *testing.T) {
	up, send := startArgos(t)
	bad := globals + `
:9080 {
	handle /argos/open {
		biohook argos
		reverse_proxy ` + up.addr() + `
	}
}
`
	req, _ := http.NewRequest(http.MethodPost, "http://localhost:2999/load", bytes.NewReader([]byte(bad)))
	req.Header.Set("Content-Type", "text/caddyfile")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode < 400 || !strings.Contains(string(msg), "no argos check configured") {
		t.Fatalf("status %d, %s", res.StatusCode, msg)
	}
	h := http.Header{"X-Argos-Token": {argosHeaderVal}}
	res2, answer := send("/argos/plain", readFixture(t, "argos", "delete.json"), h)
	mustStatus(t, res2, answer, http.StatusOK)
	mustForwardGolden(t, up, "delete.json")
}
