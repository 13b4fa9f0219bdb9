package integration

import (
	"testing"
	"time"
)

// With require_created, a signature that carries no creation time has no
// time limit and is refused; without it (the default: IDaaS's docs do not
// promise created), such a signature is accepted as before.
func TestEntrustRequireCreated(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, `
:9080 {
	handle /hooks/strict {
		biohook entrust {
			secret `+hostileSecret+`
			require_created
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/lenient {
		biohook entrust {
			secret `+hostileSecret+`
		}
		reverse_proxy `+up.addr()+`
	}
}`)
	body := readFixture(t, "entrust", "user.created.json")
	cases := []struct {
		path    string
		created time.Time
		status  int
		code    string
	}{
		{"/hooks/strict", time.Time{}, 401, "missing_created"},
		{"/hooks/strict", time.Now(), 200, ""},
		{"/hooks/strict", time.Now().Add(-time.Hour), 401, "stale_signature"},
		{"/hooks/lenient", time.Time{}, 200, ""},
		{"/hooks/lenient", time.Now(), 200, ""},
	}
	for _, c := range cases {
		h := entrustHeaders(t, caddyBase+c.path, body, hostileSecret, c.created)
		res, answer := post(t, tester, c.path, body, h)
		if res.StatusCode != c.status || (c.code != "" && answer != errorBody(c.code)) {
			t.Errorf("%s, created %v: %d %s, want %d %s", c.path, c.created, res.StatusCode, answer, c.status, c.code)
		}
		if got := len(up.take()); (c.status == 200) != (got == 1) {
			t.Errorf("%s: upstream received %d", c.path, got)
		}
	}
	// The head is judged before the body is read: a forged signature
	// without created is refused for the missing created before its MAC is
	// computed; with created, it is refused for its MAC, on either route.
	for _, c := range []struct {
		path    string
		created time.Time
		code    string
	}{
		{"/hooks/strict", time.Time{}, "missing_created"},
		{"/hooks/strict", time.Now(), "signature_mismatch"},
		{"/hooks/lenient", time.Time{}, "signature_mismatch"},
	} {
		h := entrustHeaders(t, caddyBase+c.path, body, "another-secret-of-16+", c.created)
		if res, answer := post(t, tester, c.path, body, h); res.StatusCode != 401 || answer != errorBody(c.code) {
			t.Errorf("%s, forged, created %v: %d %s, want 401 %s", c.path, c.created, res.StatusCode, answer, c.code)
		}
	}
	if got := len(up.take()); got != 0 {
		t.Errorf("forged deliveries: upstream received %d", got)
	}
}
