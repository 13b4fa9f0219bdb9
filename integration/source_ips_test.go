package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// argosSourceSite has ARGOS ECB routes that differ in their source_ips;
// the server trusts 127.0.0.2 as a proxy that sets X-Forwarded-For.
func argosSourceSite(up *upstream) string {
	route := func(path, sources string) string {
		return `
	handle ` + path + ` {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
` + sources + `
		}
		reverse_proxy ` + up.addr() + `
	}`
	}
	return `
:9080 {` +
		route("/src/bare", "\t\t\tsource_ips 127.0.0.1") +
		route("/src/lines", "\t\t\tsource_ips 192.0.2.0/24 10.0.0.0/8\n\t\t\tsource_ips 127.0.0.3/32") +
		route("/src/v6", "\t\t\tsource_ips ::1") +
		route("/src/v6net", "\t\t\tsource_ips 2001:db8::/32 127.0.0.1") +
		route("/src/proxied", "\t\t\tsource_ips 203.0.113.7") + `
}
`
}

const trustLoopbackProxy = `servers {
		trusted_proxies static 127.0.0.2/32
	}`

// clientFrom is an HTTP client whose connections leave from local.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// sendFrom posts body to base+path from the local address and returns the
// status and answer.
func sendFrom(t *testing.T, local, base, path string, body []byte, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		req.Header = h.Clone()
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := clientFrom(local).Do(req)
	if err != nil {
		t.Fatalf("from %s to %s: %v", local, path, err)
	}
	defer res.Body.Close()
	var answer strings.Builder
	_, _ = bufio.NewReader(res.Body).WriteTo(&answer)
	return res.StatusCode, answer.String()
}

// Through a real Caddy: bare addresses, ranges, repeated lines, IPv6, and
// the client address behind a trusted proxy; a client that is no trusted
// proxy cannot claim another address with X-Forwarded-For. Each refusal
// is a 403 with the usual body, counted by reason, and the app receives
// nothing.
func TestSourceIPsThroughCaddy(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ARGOS_KEY", argosKey)
	up := newUpstream(t)
	startCaddyWith(t, trustLoopbackProxy, argosSourceSite(up))
	const v4, v6 = "http://127.0.0.1:9080", "http://[::1]:9080"
	xff := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	cases := []struct {
		name, from, base, path string
		header                 http.Header
		allowed                bool
	}{
		{"bare address", "127.0.0.1", v4, "/src/bare", nil, true},
		{"another address", "127.0.0.3", v4, "/src/bare", nil, false},
		{"IPv6 to an IPv4 list", "::1", v6, "/src/bare", nil, false},
		{"X-Forwarded-For from no trusted proxy is ignored", "127.0.0.1", v4, "/src/bare", xff("198.51.100.1"), true},
		{"second line appends", "127.0.0.3", v4, "/src/lines", nil, true},
		{"first line's ranges", "127.0.0.1", v4, "/src/lines", nil, false},
		{"bare IPv6 address", "::1", v6, "/src/v6", nil, true},
		{"IPv4 to an IPv6 list", "127.0.0.1", v4, "/src/v6", nil, false},
		{"IPv6 outside the range", "::1", v6, "/src/v6net", nil, false},
		{"trusted proxy forwards the listed client", "127.0.0.2", v4, "/src/proxied", xff("203.0.113.7"), true},
		{"trusted proxy, several hops", "127.0.0.2", v4, "/src/proxied", xff("203.0.113.7, 127.0.0.9"), true},
		{"trusted proxy forwards another client", "127.0.0.2", v4, "/src/proxied", xff("198.51.100.1"), false},
		{"trusted proxy without the header is itself the client", "127.0.0.2", v4, "/src/proxied", nil, false},
		{"untrusted client spoofs X-Forwarded-For", "127.0.0.3", v4, "/src/proxied", xff("203.0.113.7"), false},
		{"untrusted client spoofs X-Forwarded-For, bare route", "127.0.0.3", v4, "/src/bare", xff("127.0.0.1"), false},
	}
	const refused = `caddy_biohook_rejections_total{reason="source_not_allowed",vendor="argos"}`
	before := metricValue(t, refused)
	want := 0.0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := argosEncrypt(t, verify.ModeECB, verify.Base64, readFixture(t, "argos", "approved.json"))
			status, answer := sendFrom(t, c.from, c.base, c.path, body, c.header)
			got := up.take()
			if c.allowed {
				if status != http.StatusOK || len(got) != 1 {
					t.Fatalf("status %d (%s), upstream got %d", status, answer, len(got))
				}
				assertGolden(t, "argos", "approved.json", got[0].Body)
				return
			}
			want++
			if status != http.StatusForbidden || answer != errorBody("source_not_allowed") || len(got) != 0 {
				t.Fatalf("status %d, answer %q, upstream got %d", status, answer, len(got))
			}
		})
	}
	if got := metricValue(t, refused) - before; got != want {
		t.Errorf("%s: +%v, want +%v", refused, got, want)
	}
}

// The refusal comes on the request's head: a client outside the list that
// announces a body and sends none of it is refused (counted) while its
// body is still to come. (The answer itself follows once the server has
// drained the unread body, as it does after any handler that leaves one,
// to keep the connection.)
func TestSourceIPsRefuseBeforeTheBody(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ARGOS_KEY", argosKey)
	up := newUpstream(t)
	startCaddyWith(t, trustLoopbackProxy, argosSourceSite(up))
	const refused = `caddy_biohook_rejections_total{reason="source_not_allowed",vendor="argos"}`
	before := metricValue(t, refused)
	const size = 100000
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
	c, err := d.Dial("tcp", "127.0.0.1:9080")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := fmt.Sprintf("POST /src/bare HTTP/1.1\r\nHost: 127.0.0.1:9080\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n", size)
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for metricValue(t, refused) == before {
		if time.Now().After(deadline) {
			t.Fatal("no refusal while the body was still to come")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var answer strings.Builder
	_, _ = bufio.NewReader(res.Body).WriteTo(&answer)
	if res.StatusCode != http.StatusForbidden || answer.String() != errorBody("source_not_allowed") || len(up.take()) != 0 {
		t.Fatalf("%d %q", res.StatusCode, answer.String())
	}
}

// mustRefuseLoad posts cfg to the admin endpoint and expects it refused
// with an error that holds every want; the running config stays.
func mustRefuseLoad(t *testing.T, cfg string, want ...string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://localhost:2999/load", strings.NewReader(cfg))
	req.Header.Set("Content-Type", "text/caddyfile")
	// A connection of its own: a refused load rolls the admin endpoint
	// back, which may close a kept-alive connection as it is reused.
	req.Close = true
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var msg strings.Builder
	_, _ = bufio.NewReader(res.Body).WriteTo(&msg)
	if res.StatusCode < 400 {
		t.Fatalf("loaded (status %d); want an error with %q", res.StatusCode, want)
	}
	for _, w := range want {
		if !strings.Contains(msg.String(), w) {
			t.Errorf("the error does not say %q:\n%s", w, msg.String())
		}
	}
}

// A source_ips entry that is no address or range, or an empty list, stops
// the config from loading and says which entry and why.
func TestSourceIPsBadEntryRefusesToStart(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ARGOS_KEY", argosKey)
	up := newUpstream(t)
	startCaddyWith(t, trustLoopbackProxy, argosSourceSite(up))
	route := func(sources string) string {
		return globals + `
:9080 {
	biohook argos {
		header X-Argos-Token argos-header-token-01
		` + sources + `
	}
	reverse_proxy ` + up.addr() + `
}
`
	}
	mustRefuseLoad(t, route("source_ips 203.0.113.0/33"), `source_ips: \"203.0.113.0/33\" is not a CIDR range`)
	mustRefuseLoad(t, route("source_ips 203.0.113.0/24 not-an-address"), `\"not-an-address\" is neither an IP address nor a CIDR range`)
	mustRefuseLoad(t, route("source_ips 10.1.0.0/8"), "host bits set")
	mustRefuseLoad(t, route("source_ips"), "source_ips needs at least one")
	status, answer := sendFrom(t, "127.0.0.1", "http://127.0.0.1:9080", "/src/bare",
		argosEncrypt(t, verify.ModeECB, verify.Base64, readFixture(t, "argos", "delete.json")), nil)
	if status != http.StatusOK {
		t.Fatalf("the running config stopped serving: %d %s", status, answer)
	}
	up.take()
}
