package biohook

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/biohook/caddy-biohook/verify"
)

func TestParseSource(t *testing.T) {
	good := map[string]string{
		"203.0.113.7":             "203.0.113.7/32",
		"10.0.0.0/8":              "10.0.0.0/8",
		"2001:db8::1":             "2001:db8::1/128",
		"2001:db8::/32":           "2001:db8::/32",
		"::1":                     "::1/128",
		"::ffff:203.0.113.7":      "203.0.113.7/32", // compared as the IPv4 it maps
		"::ffff:198.51.100.0/120": "198.51.100.0/24",
	}
	for in, want := range good {
		p, err := parseSource(in)
		if err != nil || p.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, p, err, want)
		}
	}
	bad := map[string]string{
		"10.0.0.0/33":       "not a CIDR range",
		"10.0.0/8":          "not a CIDR range",
		"10.0.0.1/8":        "host bits set: write the range as 10.0.0.0/8, or the single address as 10.0.0.1/32",
		"2001:db8::1/32":    "host bits set",
		"example.com":       "neither an IP address nor a CIDR range",
		"203.0.113.256":     "neither an IP address nor a CIDR range",
		"":                  "neither an IP address nor a CIDR range",
		"0.0.0.0/0":         "matches every address",
		"::/0":              "matches every address",
		"::ffff:0.0.0.0/96": "matches every address",
		"fe80::1%eth0":      "zone",
		"{env.X}":           "neither an IP address nor a CIDR range",
	}
	for in, want := range bad {
		if _, err := parseSource(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want an error with %q", in, err, want)
		}
	}
}

// Whatever parseSource accepts is a valid, canonical range that is not
// everything, holds no zone, reads back as itself, and contains its own
// address; nothing makes it panic.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "10.0.0.0/8", "2001:db8::/32", "::ffff:1.2.3.4/128", "0.0.0.0/0",
		"10.0.0.1/8", "fe80::1%eth0", "1.2.3.4/", "/8", "::", "::/1", "1.2.3.4/032"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseSource(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Bits() == 0 || p.Masked() != p || p.Addr().Zone() != "" || p.Addr().Is4In6() {
			t.Fatalf("%q accepted as %v", s, p)
		}
		again, err := parseSource(p.String())
		if err != nil || again != p {
			t.Fatalf("%q: %v reads back as %v, %v", s, p, again, err)
		}
		if !p.Contains(p.Addr()) {
			t.Fatalf("%v does not contain its own address", p)
		}
	})
}

func TestSourceIPsCaddyfile(t *testing.T) {
	h := new(Handler)
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`biohook argos {
		secret k
		source_ips 10.0.0.0/8 203.0.113.7
		mode ecb
		source_ips 2001:db8::/32
	}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(h)
	want := `{"vendor":{"mode":"ecb","name":"argos","secrets":["k"]},"source_ips":["10.0.0.0/8","203.0.113.7","2001:db8::/32"]}`
	if !jsonEqual(t, got, []byte(want)) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	err = new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser("biohook argos {\n\tsource_ips\n}"))
	if err == nil || !strings.Contains(err.Error(), "source_ips needs") {
		t.Errorf("source_ips without an address: %v", err)
	}
}

func TestSourceIPsProvision(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_SOURCES", "198.51.100.0/24, 2001:db8::7 203.0.113.9")
	t.Setenv("BIOHOOK_TEST_SOURCES_EMPTY", " ")
	h := &Handler{SourceIPs: []string{"10.0.0.0/8", "{env.BIOHOOK_TEST_SOURCES}"}}
	if err := h.provisionSources(); err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(h.sources))
	for i, p := range h.sources {
		got[i] = p.String()
	}
	if strings.Join(got, " ") != "10.0.0.0/8 198.51.100.0/24 2001:db8::7/128 203.0.113.9/32" {
		t.Errorf("sources %v", got)
	}
	bad := map[string][]string{
		"source_ips is empty":               {},
		"BIOHOOK_TEST_SOURCES_UNSET":        {"{env.BIOHOOK_TEST_SOURCES_UNSET}"},
		"entry #2 is empty":                 {"10.0.0.1", "{env.BIOHOOK_TEST_SOURCES_EMPTY}"},
		`"10.0.0.0/40" is not a CIDR range`: {"203.0.113.7", "10.0.0.0/40"},
		"matches every address":             {"::/0"},
	}
	for want, list := range bad {
		h := &Handler{SourceIPs: list}
		if err := h.provisionSources(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", list, err, want)
		}
	}
}

// sourceRequest is a request as Caddy hands it to a handler: the client
// address it determined is in the request's variables.
func sourceRequest(clientIP string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/argos", nil)
	r.RemoteAddr = "192.0.2.1:40000" // a trusted proxy's, say: not what is checked
	vars := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
}

func sourceHandler(t testing.TB, list ...string) *Handler {
	t.Helper()
	h := &Handler{SourceIPs: list}
	if err := h.provisionSources(); err != nil {
		t.Fatal(err)
	}
	return h
}

// The check reads Caddy's client_ip, not the connection's peer; without
// the variable (the offline verify command) it reads the peer; anything
// unreadable is refused.
func TestCheckSource(t *testing.T) {
	h := sourceHandler(t, "203.0.113.7", "10.0.0.0/8", "2001:db8::/32")
	cases := map[string]bool{
		"203.0.113.7": true, "10.200.0.1": true, "2001:db8:1::5": true, "::ffff:10.0.0.9": true,
		"203.0.113.8": false, "192.0.2.1": false, "2001:db9::1": false, "": false, "@": false, "not an ip": false,
	}
	for ip, ok := range cases {
		if rej := h.checkSource(sourceRequest(ip)); (rej == nil) != ok {
			t.Errorf("client_ip %q: %v", ip, rej)
		} else if rej != nil && (rej.Status != http.StatusForbidden || rej.Code != "source_not_allowed") {
			t.Errorf("client_ip %q: %d %s", ip, rej.Status, rej.Code)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	if rej := h.checkSource(r); rej != nil {
		t.Errorf("peer address without client_ip: %v", rej)
	}
	if rej := sourceHandler(t, "127.0.0.1").checkSource(sourceRequest("127.0.0.1")); rej != nil {
		t.Error(rej)
	}
	if rej := new(Handler).checkSource(sourceRequest("")); rej != nil {
		t.Errorf("no source_ips checks nothing: %v", rej)
	}
}

// The check allocates nothing, for IPv4 and IPv6 clients, allowed or not.
func TestCheckSourceAllocatesNothing(t *testing.T) {
	h := sourceHandler(t, "198.51.100.0/24", "2001:db8::/32", "203.0.113.7")
	for _, ip := range []string{"203.0.113.7", "192.0.2.1", "2001:db8::1", "2001:db9::1"} {
		r := sourceRequest(ip)
		if n := testing.AllocsPerRun(100, func() { h.checkSource(r) }); n != 0 {
			t.Errorf("%s: %v allocations", ip, n)
		}
	}
}

func BenchmarkCheckSource(b *testing.B) {
	h := sourceHandler(b, "198.51.100.0/24", "2001:db8::/32", "203.0.113.7", "10.0.0.0/8")
	for _, ip := range []string{"10.1.2.3", "192.0.2.1", "2001:db8::1"} {
		r := sourceRequest(ip)
		b.Run(ip, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.checkSource(r)
			}
		})
	}
}

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

// The same check in JSON: "source_ips": [] is a mistake, refused.
func TestSourceIPsEmptyJSONList(t *testing.T) {
	h := &Handler{SourceIPs: []string{}}
	if err := h.provisionSources(); err == nil || !strings.Contains(err.Error(), "source_ips is empty") {
		t.Fatal(err)
	}
	var fromJSON Handler
	if err := json.Unmarshal([]byte(`{"source_ips":[]}`), &fromJSON); err != nil || fromJSON.SourceIPs == nil {
		t.Fatalf("an explicit empty list must stay distinguishable from none: %v", err)
	}
}
