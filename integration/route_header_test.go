package integration

import (
	"net/http"
	"testing"
)

// Every answer of a biohook route carries Biohook-Route with its vendor
// module, whoever wrote it: the app's answer passed through, a duplicate's
// answer, a refusal, a vendor's acknowledgement in place of the app's. A
// request no route matches gets Caddy's empty 200 without it: that is how
// `send` tells the two apart.
func TestRouteHeaderOnEveryAnswer(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, dedupeSite(up, "store memory"))
	body, h := entrustEvent(t, "route-header")
	cases := []struct {
		name, path string
		body       []byte
		header     http.Header
		status     int
		vendor     string
	}{
		{"forwarded", "/hooks/entrust", body, h, 200, "entrust"},
		{"duplicate", "/hooks/entrust", body, h, 200, "entrust"},
		{"refused", "/hooks/entrust", body, http.Header{"Content-Type": {"application/json"}}, 401, "entrust"},
		{"acknowledged", "/hooks/incode", readFixture(t, "incode", "auth_pass.json"),
			http.Header{"Content-Type": {"application/json"}, "X-Key": {"incode-dedupe-key-01"}}, 200, "incode"},
		{"no route", "/hooks/nothing", body, h, 200, ""},
	}
	for _, c := range cases {
		if c.name == "acknowledged" {
			up.answer(http.StatusAccepted, "queued") // not what Incode needs: the route answers for the app
		}
		res, answer := post(t, tester, c.path, c.body, c.header)
		if res.StatusCode != c.status || res.Header.Get("Biohook-Route") != c.vendor {
			t.Errorf("%s: %d %q, Biohook-Route %q; want %d and %q", c.name, res.StatusCode, answer,
				res.Header.Get("Biohook-Route"), c.status, c.vendor)
		}
		if c.vendor == "" && answer != "" {
			t.Errorf("%s: Caddy's default answer has a body: %q", c.name, answer)
		}
	}
	up.take()
}
