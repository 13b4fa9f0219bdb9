package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

func incodeSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/incode* {
		biohook incode {
			oauth {
				client_id {env.BIOHOOK_TEST_INCODE_ID}
				secret {env.BIOHOOK_TEST_INCODE_OLD}
				secret {env.BIOHOOK_TEST_INCODE_NEW}
				token_path /hooks/incode/token
				token_ttl 10m
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/other-incode* {
		biohook incode {
			oauth {
				client_id {env.BIOHOOK_TEST_INCODE_ID}
				secret {env.BIOHOOK_TEST_INCODE_OTHER}
				token_path /hooks/other-incode/token
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/short-incode* {
		biohook incode {
			oauth {
				client_id {env.BIOHOOK_TEST_INCODE_ID}
				secret {env.BIOHOOK_TEST_INCODE_OLD}
				token_path /hooks/short-incode/token
				token_ttl 1s
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/incode-headers {
		biohook incode {
			header X-Incode-Key {env.BIOHOOK_TEST_INCODE_HEADER}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func setIncodeSecrets(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_INCODE_ID", "incode-client")
	t.Setenv("BIOHOOK_TEST_INCODE_OLD", "incode-old-secret")
	t.Setenv("BIOHOOK_TEST_INCODE_NEW", "incode-new-secret")
	t.Setenv("BIOHOOK_TEST_INCODE_HEADER", "incode-header-value")
	t.Setenv("BIOHOOK_TEST_INCODE_OTHER", "incode-other-secret")
}

// fetchToken does what Incode does before a webhook: client credentials
// against the main route's token endpoint.
func fetchToken(t *testing.T, tester *caddytest.Tester, id, secret string, basic bool) (int, string) {
	t.Helper()
	return fetchTokenAt(t, tester, "/hooks/incode/token", 600, id, secret, basic)
}

// fetchTokenAt asks the token endpoint at path for a token and checks an
// RFC 6749 section 5.1 answer valid for ttl seconds; on an error it returns
// the status and the answer.
func fetchTokenAt(t *testing.T, tester *caddytest.Tester, path string, ttl int, id, secret string, basic bool) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if basic {
		req, _ := http.NewRequest(http.MethodPost, "/", nil)
		req.SetBasicAuth(id, secret)
		h.Set("Authorization", req.Header.Get("Authorization"))
	} else {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	res, answer := post(t, tester, path, []byte(form.Encode()), h)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if res.StatusCode == 200 {
		if err := json.Unmarshal([]byte(answer), &tok); err != nil || tok.TokenType != "Bearer" || tok.ExpiresIn != ttl ||
			res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("token answer %q", answer)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Error("token answer may be cached")
		}
		return 200, tok.AccessToken
	}
	if res.StatusCode == 401 && res.Header.Get("WWW-Authenticate") != `Basic realm="biohook"` {
		t.Errorf("401 without the Basic challenge: %q", res.Header.Get("WWW-Authenticate"))
	}
	return res.StatusCode, answer
}

// Incode's flow end to end: a token from the route, then every fixture with
// it; the vendor gets its JSON ack and the upstream the golden event.
func TestIncodeThroughCaddy(t *testing.T) {
	setIncodeSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, incodeSite(up))
	status, token := fetchToken(t, tester, "incode-client", "incode-old-secret", true)
	if status != 200 {
		t.Fatalf("token: %d %s", status, token)
	}
	if len(up.take()) != 0 {
		t.Fatal("the token request reached the upstream")
	}
	_, formToken := fetchToken(t, tester, "incode-client", "incode-new-secret", false)
	for i, name := range fixtureNames(t, "incode") {
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + []string{token, formToken}[i%2]}}
		res, answer := post(t, tester, "/hooks/incode", readFixture(t, "incode", name), h)
		mustStatus(t, res, answer, http.StatusOK)
		if answer != `{"success":true}` || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Incode got %q %q", name, answer, res.Header.Get("Content-Type"))
		}
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d", name, len(got))
		}
		assertGolden(t, "incode", name, got[0].Body)
		if got[0].Header.Get("Authorization") != "" {
			t.Error("the token reached the upstream")
		}
	}
}

func TestIncodeRefusalsThroughCaddy(t *testing.T) {
	setIncodeSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, incodeSite(up))
	if status, answer := fetchToken(t, tester, "incode-client", "guess", true); status != 401 || answer != `{"error":"invalid_client"}` {
		t.Errorf("wrong secret: %d %s", status, answer)
	}
	res, answer := post(t, tester, "/hooks/incode/token", []byte("grant_type=password"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic aW5jb2RlLWNsaWVudDppbmNvZGUtb2xkLXNlY3JldA=="}})
	if res.StatusCode != 400 || answer != `{"error":"unsupported_grant_type"}` {
		t.Errorf("wrong grant: %d %s", res.StatusCode, answer)
	}
	body := readFixture(t, "incode", "auth_pass.json")
	invalid := readFixture(t, "incode", "invalid/auth_fail_blacklisted_trailing_comma.txt")
	_, token := fetchToken(t, tester, "incode-client", "incode-old-secret", true)
	for _, c := range []struct {
		name, path, auth, header string
		body                     []byte
		status                   int
		code                     string
	}{
		{"no token", "/hooks/incode", "", "", body, 401, "missing_token"},
		{"forged token", "/hooks/incode", "Bearer " + token[:len(token)-3] + "abc", "", body, 401, "invalid_token"},
		{"client secret as bearer", "/hooks/incode", "Bearer incode-old-secret", "", body, 401, "invalid_token"},
		{"trailing comma", "/hooks/incode", "Bearer " + token, "", invalid, 400, "invalid_json"},
		{"header route, no header", "/hooks/incode-headers", "", "", body, 401, "missing_header"},
		{"header route, wrong header", "/hooks/incode-headers", "", "nope", body, 401, "header_mismatch"},
		{"header route, token instead", "/hooks/incode-headers", "Bearer " + token, "", body, 401, "missing_header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/json"}}
			if c.auth != "" {
				h.Set("Authorization", c.auth)
			}
			if c.header != "" {
				h.Set("X-Incode-Key", c.header)
			}
			res, answer := post(t, tester, c.path, c.body, h)
			mustStatus(t, res, answer, c.status)
			if answer != errorBody(c.code) {
				t.Errorf("answer %q", answer)
			}
			if len(up.take()) != 0 {
				t.Error("the upstream received a refused delivery")
			}
		})
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Incode-Key": {"incode-header-value"}}
	res, answer = post(t, tester, "/hooks/incode-headers", body, h)
	mustStatus(t, res, answer, 200)
	if got := up.take(); len(got) != 1 || got[0].Header.Get("X-Incode-Key") != "" {
		t.Fatalf("header route: %d requests, header kept: %v", len(got), got)
	}
	// An upstream that already answers as Incode needs is left alone.
	up.answer(204, "")
	res, _ = post(t, tester, "/hooks/incode-headers", body, h)
	if res.StatusCode != 204 {
		t.Errorf("204 became %d", res.StatusCode)
	}
	up.take()
	up.answer(500, "down")
	res, _ = post(t, tester, "/hooks/incode-headers", body, h)
	if res.StatusCode != 500 {
		t.Errorf("a failure became %d", res.StatusCode)
	}
	up.take()
}

// Tokens are bound to the route that issued them and expire: a token from
// a route with another secret, or one past its token_ttl, gets 401, and a
// token endpoint answers only POST.
func TestIncodeTokenScopeThroughCaddy(t *testing.T) {
	setIncodeSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, incodeSite(up))
	status, other := fetchTokenAt(t, tester, "/hooks/other-incode/token", 3600, "incode-client", "incode-other-secret", true)
	if status != 200 {
		t.Fatalf("other route's token: %d %s", status, other)
	}
	if status, answer := fetchTokenAt(t, tester, "/hooks/other-incode/token", 3600, "incode-client", "incode-old-secret", false); status != 401 || answer != `{"error":"invalid_client"}` {
		t.Errorf("main route's secret at the other route: %d %s", status, answer)
	}
	status, short := fetchTokenAt(t, tester, "/hooks/short-incode/token", 1, "incode-client", "incode-old-secret", false)
	if status != 200 {
		t.Fatalf("short token: %d %s", status, short)
	}
	body := readFixture(t, "incode", "auth_pass.json")
	deliver := func(path, token string) (*http.Response, string) {
		return post(t, tester, path, body, http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}})
	}
	res, answer := deliver("/hooks/other-incode", other)
	mustStatus(t, res, answer, 200)
	res, answer = deliver("/hooks/incode", other)
	mustStatus(t, res, answer, 401)
	if answer != errorBody("invalid_token") {
		t.Errorf("other route's token: %s", answer)
	}
	res, answer = deliver("/hooks/short-incode", short)
	mustStatus(t, res, answer, 200)
	if got := up.take(); len(got) != 2 {
		t.Fatalf("upstream got %d deliveries, want 2", len(got))
	}
	time.Sleep(time.Second + 5*time.Second + 500*time.Millisecond) // token_ttl plus the leeway
	res, answer = deliver("/hooks/short-incode", short)
	mustStatus(t, res, answer, 401)
	if answer != errorBody("expired_token") {
		t.Errorf("expired token: %s", answer)
	}
	res, answer = send(t, tester, http.MethodGet, "/hooks/incode/token", nil, nil)
	mustStatus(t, res, answer, 405)
	if res.Header.Get("Allow") != "POST" {
		t.Errorf("405 without Allow: %v", res.Header)
	}
	if got := up.take(); len(got) != 0 {
		t.Fatalf("upstream got %d refused requests", len(got))
	}
}

func TestIncodeWithoutCheckRefusesToStart(t *testing.T) {
	caddytest.AssertLoadError(t, globals+`
:9080 {
	biohook incode
	respond ok
}`, "caddyfile", "no incode check configured")
}
