package integration

import (
	"net/http"
	"testing"
)

// A token lives no longer than the route's token_ttl now says: one issued
// while token_ttl was longer (the same client and secret, an older config)
// is refused once the config shortens it, though its own exp is still ahead.
func TestIncodeTokenOutlivingTTLThroughCaddy(t *testing.T) {
	setIncodeSecrets(t)
	up := newUpstream(t)
	site := func(ttl string) string {
		return `
:9080 {
	handle /hooks/incode* {
		biohook incode {
			oauth {
				client_id {env.BIOHOOK_TEST_INCODE_ID}
				secret {env.BIOHOOK_TEST_INCODE_OLD}
				token_path /hooks/incode/token
				token_ttl ` + ttl + `
			}
		}
		reverse_proxy ` + up.addr() + `
	}
}`
	}
	body := readFixture(t, "incode", "auth_pass.json")
	tester := startCaddy(t, site("24h"))
	status, long := fetchTokenAt(t, tester, "/hooks/incode/token", 24*3600, "incode-client", "incode-old-secret", true)
	if status != 200 {
		t.Fatalf("token: %d %s", status, long)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + long}}
	res, answer := post(t, tester, "/hooks/incode", body, h)
	mustStatus(t, res, answer, 200)

	tester = startCaddy(t, site("10m"))
	res, answer = post(t, tester, "/hooks/incode", body, h)
	if res.StatusCode != 401 || answer != errorBody("invalid_token") {
		t.Errorf("a 24h token under token_ttl 10m: %d %s", res.StatusCode, answer)
	}
	status, short := fetchTokenAt(t, tester, "/hooks/incode/token", 600, "incode-client", "incode-old-secret", true)
	if status != 200 {
		t.Fatalf("token: %d %s", status, short)
	}
	h.Set("Authorization", "Bearer "+short)
	res, answer = post(t, tester, "/hooks/incode", body, h)
	mustStatus(t, res, answer, 200)
	if got := up.take(); len(got) != 2 {
		t.Fatalf("upstream got %d, want the two accepted deliveries", len(got))
	}
}
