package biohook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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
