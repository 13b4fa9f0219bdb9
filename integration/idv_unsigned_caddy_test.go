package integration

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
)

// The credentials of the Yoti, Socure and proxied Jumio test routes.
const (
	idvYotiUser     = "yoti-notify"
	idvYotiPass     = "yoti:pass-0f9a6c1e"
	idvYotiToken    = "yoti-session-token-4d2b4a8e"
	idvSocureToken  = "2b0c7e1d-9f2a-4c3b-8e6d-1a2b3c4d5e6f"
	idvSocurePass   = "riskos-pass-77-5e6f"
	idvJumioProxied = "jumio-proxy-secret-9c3f"
)

func idvEnv(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_YOTI_USER", idvYotiUser)
	t.Setenv("BIOHOOK_TEST_YOTI_PASS", idvYotiPass)
	t.Setenv("BIOHOOK_TEST_YOTI_TOKEN", idvYotiToken)
	t.Setenv("BIOHOOK_TEST_SOCURE_TOKEN", idvSocureToken)
	t.Setenv("BIOHOOK_TEST_SOCURE_PASS", idvSocurePass)
	t.Setenv("BIOHOOK_TEST_JUMIO_PROXY", idvJumioProxied)
}

func idvSite(up *upstream) string {
	route := func(path, block string) string {
		return "\thandle " + path + " {\n\t\t" + block + "\n\t\treverse_proxy " + up.addr() + "\n\t}\n"
	}
	return ":9080 {\n" +
		route("/hooks/yoti", `biohook yoti {
			basic {env.BIOHOOK_TEST_YOTI_USER} {env.BIOHOOK_TEST_YOTI_PASS}
			bearer {env.BIOHOOK_TEST_YOTI_TOKEN}
		}`) +
		route("/hooks/socure", `biohook socure {
			bearer {env.BIOHOOK_TEST_SOCURE_TOKEN}
			basic riskos {env.BIOHOOK_TEST_SOCURE_PASS}
		}`) +
		route("/hooks/jumio", `biohook jumio {
			source_ips 127.0.0.1 ::1
		}`) +
		route("/hooks/jumio-proxied", `biohook jumio {
			header X-Proxy-Secret {env.BIOHOOK_TEST_JUMIO_PROXY}
		}`) +
		route("/hooks/ondato", `biohook ondato {
			source_ips 127.0.0.1 ::1
		}`) +
		"}\n"
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// idvHeaders are the headers of a genuine delivery to path; n picks one of
// a route's credentials.
func idvHeaders(path string, n int) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	switch path {
	case "/hooks/yoti":
		h.Set("Authorization", []string{basicAuth(idvYotiUser, idvYotiPass), "Bearer " + idvYotiToken}[n%2])
	case "/hooks/socure":
		h.Set("Authorization", []string{"Bearer " + idvSocureToken, "basic " + strings.TrimPrefix(basicAuth("riskos", idvSocurePass), "Basic ")}[n%2])
	case "/hooks/jumio-proxied":
		h.Set("X-Proxy-Secret", idvJumioProxied)
	}
	return h
}

var idvRoutes = []struct{ vendor, path string }{
	{"yoti", "/hooks/yoti"}, {"socure", "/hooks/socure"}, {"jumio", "/hooks/jumio"},
	{"jumio", "/hooks/jumio-proxied"}, {"ondato", "/hooks/ondato"},
}

// Every fixture of the four vendors goes through a real Caddy to a real
// upstream as its golden event, with each of a route's credentials; the
// credential never reaches the upstream. An upstream's 202 is a 200 for
// Yoti, Socure and Jumio, which count only 200, and stays 202 for Ondato.
func TestIDVUnsignedVendorsThroughCaddy(t *testing.T) {
	idvEnv(t)
	up := newUpstream(t)
	tester := startCaddy(t, idvSite(up))
	for _, r := range idvRoutes {
		for i, name := range fixtureNames(t, r.vendor) {
			t.Run(r.path+"/"+name, func(t *testing.T) {
				res, answer := post(t, tester, r.path, readFixture(t, r.vendor, name), idvHeaders(r.path, i))
				mustStatus(t, res, answer, http.StatusOK)
				got := up.take()
				if len(got) != 1 {
					t.Fatalf("upstream got %d", len(got))
				}
				assertGolden(t, r.vendor, name, got[0].Body)
				if got[0].Header.Get("Authorization") != "" || got[0].Header.Get("X-Proxy-Secret") != "" {
					t.Errorf("a credential reached the upstream: %v", got[0].Header)
				}
				if ct := got[0].Header.Get("Content-Type"); ct != "application/cloudevents+json" {
					t.Errorf("content type %q", ct)
				}
			})
		}
	}
	up.answer(http.StatusAccepted, "queued")
	defer up.answer(http.StatusOK, "")
	for _, r := range idvRoutes {
		name := fixtureNames(t, r.vendor)[0]
		res, answer := post(t, tester, r.path, readFixture(t, r.vendor, name), idvHeaders(r.path, 0))
		want, body := http.StatusOK, ""
		if r.vendor == "ondato" {
			want, body = http.StatusAccepted, "queued"
		}
		if res.StatusCode != want || answer != body {
			t.Errorf("%s: upstream 202 answered %d %q, want %d %q", r.path, res.StatusCode, answer, want, body)
		}
		up.take()
	}
}

// Each refusal of the four routes through a real Caddy: its status and
// reason, nothing at the upstream, no credential in the answer.
func TestIDVUnsignedRefusalsThroughCaddy(t *testing.T) {
	idvEnv(t)
	up := newUpstream(t)
	tester := startCaddy(t, idvSite(up))
	yoti := readFixture(t, "yoti", "session_completion.json")
	socure := readFixture(t, "socure", "evaluation_completed_accept.json")
	jumio := readFixture(t, "jumio", "processed.json")
	with := func(path string, edit func(h http.Header)) http.Header {
		h := idvHeaders(path, 0)
		edit(h)
		return h
	}
	auth := func(path, v string) http.Header {
		return with(path, func(h http.Header) { h.Set("Authorization", v) })
	}
	cases := []struct {
		name, path string
		body       []byte
		header     http.Header
		want       string
	}{
		{"yoti: no Authorization", "/hooks/yoti", yoti, with("/hooks/yoti", func(h http.Header) { h.Del("Authorization") }), "401 missing_header"},
		{"yoti: Authorization twice", "/hooks/yoti", yoti, with("/hooks/yoti", func(h http.Header) { h.Add("Authorization", "Bearer "+idvYotiToken) }), "401 duplicate_header"},
		{"yoti: another scheme", "/hooks/yoti", yoti, auth("/hooks/yoti", "Token "+idvYotiToken), "401 unsupported_scheme"},
		{"yoti: bare token", "/hooks/yoti", yoti, auth("/hooks/yoti", idvYotiToken), "401 unsupported_scheme"},
		{"yoti: wrong token", "/hooks/yoti", yoti, auth("/hooks/yoti", "Bearer "+idvYotiToken+"x"), "401 credential_mismatch"},
		{"yoti: wrong password", "/hooks/yoti", yoti, auth("/hooks/yoti", basicAuth(idvYotiUser, "yoti:pass")), "401 credential_mismatch"},
		{"yoti: the token as a password", "/hooks/yoti", yoti, auth("/hooks/yoti", basicAuth(idvYotiUser, idvYotiToken)), "401 credential_mismatch"},
		{"yoti: basic not base64", "/hooks/yoti", yoti, auth("/hooks/yoti", "Basic ***"), "401 malformed_credentials"},
		{"yoti: session_id a number", "/hooks/yoti", []byte(`{"session_id":7,"topic":"session_completion"}`), idvHeaders("/hooks/yoti", 1), "400 invalid_json"},
		{"yoti: no topic", "/hooks/yoti", []byte(`{"session_id":"s"}`), idvHeaders("/hooks/yoti", 1), "400 invalid_payload"},
		{"socure: no Authorization", "/hooks/socure", socure, with("/hooks/socure", func(h http.Header) { h.Del("Authorization") }), "401 missing_header"},
		{"socure: Yoti's token", "/hooks/socure", socure, auth("/hooks/socure", "Bearer "+idvYotiToken), "401 credential_mismatch"},
		{"socure: another user", "/hooks/socure", socure, auth("/hooks/socure", basicAuth("riskos2", idvSocurePass)), "401 credential_mismatch"},
		{"socure: OAuth token of RiskOS's own", "/hooks/socure", socure, auth("/hooks/socure", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"), "401 credential_mismatch"},
		{"socure: decision an object", "/hooks/socure", []byte(`{"event_type":"evaluation_completed","data":{"decision":{"v":"ACCEPT"}}}`), idvHeaders("/hooks/socure", 0), "400 invalid_json"},
		{"jumio-proxied: no header", "/hooks/jumio-proxied", jumio, with("/hooks/jumio-proxied", func(h http.Header) { h.Del("X-Proxy-Secret") }), "401 missing_header"},
		{"jumio-proxied: wrong header", "/hooks/jumio-proxied", jumio, with("/hooks/jumio-proxied", func(h http.Header) { h.Set("X-Proxy-Secret", "guess") }), "401 header_mismatch"},
		{"jumio: id a number", "/hooks/jumio", []byte(`{"workflowExecution":{"id":1,"status":"PROCESSED"}}`), idvHeaders("/hooks/jumio", 0), "400 invalid_json"},
		{"jumio: no status", "/hooks/jumio", []byte(`{"workflowExecution":{"id":"1"}}`), idvHeaders("/hooks/jumio", 0), "400 invalid_payload"},
		{"ondato: type in two spellings", "/hooks/ondato", []byte(`{"type":"Form.Created","Type":"KycIdentification.Approved"}`), idvHeaders("/hooks/ondato", 0), "400 invalid_json"},
		{"ondato: payload a string", "/hooks/ondato", []byte(`{"type":"KycIdentification.Approved","payload":"approved"}`), idvHeaders("/hooks/ondato", 0), "400 invalid_json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, answer := post(t, tester, c.path, c.body, c.header)
			status, code, _ := strings.Cut(c.want, " ")
			if fmt.Sprint(res.StatusCode) != status || answer != errorBody(code) {
				t.Fatalf("answer %d %s, want %s", res.StatusCode, answer, c.want)
			}
			if got := up.take(); len(got) != 0 {
				t.Fatalf("refused, but the upstream received %d", len(got))
			}
			for _, s := range []string{idvYotiPass, idvYotiToken, idvSocureToken, idvSocurePass, idvJumioProxied} {
				if strings.Contains(answer, s) {
					t.Fatal("the answer holds a credential")
				}
			}
		})
	}
}

// Jumio and Ondato prove nothing themselves: from an address outside
// source_ips a genuine callback is refused with 403 before its body is
// read; from a listed one it passes. A route with a header is held to the
// header alone, from anywhere.
func TestIDVSourceOnlyFromOutside(t *testing.T) {
	idvEnv(t)
	up := newUpstream(t)
	startCaddy(t, idvSite(up))
	const base = "http://127.0.0.1:9080"
	for _, r := range []struct{ vendor, path, fixture string }{
		{"jumio", "/hooks/jumio", "processed.json"},
		{"ondato", "/hooks/ondato", "kyc_approved.json"},
	} {
		body := readFixture(t, r.vendor, r.fixture)
		status, answer := sendFrom(t, "127.0.0.3", base, r.path, body, nil)
		if status != http.StatusForbidden || answer != errorBody("source_not_allowed") || len(up.take()) != 0 {
			t.Fatalf("%s from outside: %d %s", r.path, status, answer)
		}
		status, answer = sendFrom(t, "127.0.0.1", base, r.path, body, nil)
		if status != http.StatusOK || len(up.take()) != 1 {
			t.Fatalf("%s from a listed address: %d %s", r.path, status, answer)
		}
	}
	status, answer := sendFrom(t, "127.0.0.3", base, "/hooks/jumio-proxied", readFixture(t, "jumio", "processed.json"), idvHeaders("/hooks/jumio-proxied", 0))
	if status != http.StatusOK || len(up.take()) != 1 {
		t.Fatalf("proxied route: %d %s", status, answer)
	}
}

// A Jumio or Ondato route with neither source_ips nor a header does not
// load, and the error says why and what to add; the running config stays.
// A Yoti or Socure route without a credential does not load either, nor
// one with a password shorter than 16 bytes (its user, "riskos", may be
// short: a user name is not a secret).
func TestIDVUnprovedRoutesRefuseToStart(t *testing.T) {
	idvEnv(t)
	up := newUpstream(t)
	tester := startCaddy(t, idvSite(up))
	route := func(block string) string {
		return globals + ":9080 {\n\t" + block + "\n\treverse_proxy " + up.addr() + "\n}\n"
	}
	mustRefuseLoad(t, route("biohook jumio"), "the jumio route does not prove its deliveries",
		"Jumio signs nothing", "docs/jumio.md", "`header \\u003cName\\u003e", "`source_ips \\u003cip|cidr\\u003e")
	mustRefuseLoad(t, route("biohook ondato {\n\t\tmax_size 64KiB\n\t}"), "the ondato route does not prove its deliveries",
		"Ondato documents no signature", "docs/ondato.md", "`source_ips \\u003cip|cidr\\u003e")
	mustRefuseLoad(t, route("biohook yoti"), "no yoti credential configured")
	mustRefuseLoad(t, route("biohook socure"), "no socure credential configured")
	mustRefuseLoad(t, route("biohook yoti {\n\t\tbearer {env.BIOHOOK_TEST_UNSET_TOKEN}\n\t}"), "BIOHOOK_TEST_UNSET_TOKEN")
	mustRefuseLoad(t, route("biohook socure {\n\t\tbasic a:b socure-password-01\n\t}"), "contains ':'")
	mustRefuseLoad(t, route("biohook socure {\n\t\tbasic riskos pw\n\t}"), "socure basic #1 password is shorter than 16 bytes")
	res, answer := post(t, tester, "/hooks/yoti", readFixture(t, "yoti", "session_completion.json"), idvHeaders("/hooks/yoti", 1))
	mustStatus(t, res, answer, http.StatusOK)
	up.take()
}

// A wrong credential is refused on the request's head: a client that
// announces a body and sends none of it is refused (counted) while the
// body is still to come, for the Authorization check and for a static
// header alike.
func TestIDVCredentialRefusedBeforeTheBody(t *testing.T) {
	idvEnv(t)
	up := newUpstream(t)
	startCaddy(t, idvSite(up))
	for _, c := range []struct{ path, header, series string }{
		{"/hooks/yoti", "Authorization: Bearer not-the-token", `caddy_biohook_rejections_total{reason="credential_mismatch",vendor="yoti"}`},
		{"/hooks/socure", "Authorization: Basic Kg==", `caddy_biohook_rejections_total{reason="malformed_credentials",vendor="socure"}`},
		{"/hooks/jumio-proxied", "X-Proxy-Secret: guess", `caddy_biohook_rejections_total{reason="header_mismatch",vendor="jumio"}`},
	} {
		t.Run(c.path, func(t *testing.T) {
			before := metricValue(t, c.series)
			const size = 100000
			conn, err := net.Dial("tcp", "127.0.0.1:9080")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1:9080\r\nContent-Type: application/json\r\n%s\r\n"+
				"Content-Length: %d\r\n\r\n", c.path, c.header, size)
			if _, err := conn.Write([]byte(head)); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for metricValue(t, c.series) == before {
				if time.Now().After(deadline) {
					t.Fatal("no refusal while the body was still to come")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := conn.Write(make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized || len(up.take()) != 0 {
				t.Fatalf("status %d", res.StatusCode)
			}
		})
	}
}

// The hostile-input suite on the four vendors: Yoti and Socure behind
// their Authorization credentials (Bearer and Basic), Jumio and Ondato
// behind source_ips (the suite sends from a listed address) and Jumio
// behind a proxy's header.
func TestHostileInputIDVUnsigned(t *testing.T) {
	route := func(block string) string { return block[:len(block)-1] + "\tmax_size 384KiB\n\t\t}" }
	vendors := []hostileVendor{
		{
			name: "yoti", path: "/hooks/yoti", credential: "Authorization",
			route:   route("biohook yoti {\n\t\t\tbearer " + hostileSecret + "\n\t\t}"),
			valid:   built(deliver.Options{Vendor: "yoti"}),
			payload: readFixture(t, "yoti", "check_completion.json"),
		},
		{
			name: "socure-basic", path: "/hooks/socure", credential: "Authorization",
			route:   route("biohook socure {\n\t\t\tbasic hostile-user " + hostileSecret + "\n\t\t}"),
			valid:   built(deliver.Options{Vendor: "socure", ClientID: "hostile-user", Settings: map[string]string{"auth": "basic"}}),
			payload: readFixture(t, "socure", "evaluation_completed_accept.json"),
		},
		{
			name: "jumio", path: "/hooks/jumio",
			route:   route("biohook jumio {\n\t\t\tsource_ips 127.0.0.1 ::1\n\t\t}"),
			valid:   built(deliver.Options{Vendor: "jumio"}),
			payload: readFixture(t, "jumio", "processed.json"),
		},
		{
			name: "jumio-proxied", path: "/hooks/jumio-proxied", credential: "X-Proxy-Secret",
			route:   route("biohook jumio {\n\t\t\theader X-Proxy-Secret " + hostileSecret + "\n\t\t}"),
			valid:   built(deliver.Options{Vendor: "jumio", Settings: map[string]string{"header": "X-Proxy-Secret: "}}),
			payload: readFixture(t, "jumio", "processed.json"),
		},
		{
			name: "ondato", path: "/hooks/ondato",
			route:   route("biohook ondato {\n\t\t\tsource_ips 127.0.0.1 ::1\n\t\t}"),
			valid:   built(deliver.Options{Vendor: "ondato"}),
			payload: readFixture(t, "ondato", "kyc_approved.json"),
		},
	}
	// The seed vendors' rows, with these routes' answers: the credential
	// refusals of the Authorization check; a body without the members
	// these vendors require.
	cases := hostileCases()
	for i := range cases {
		c := &cases[i]
		switch c.name {
		case "wrong secret":
			c.want["yoti"], c.want["socure-basic"] = "401 credential_mismatch", "401 credential_mismatch"
			skip := c.skip
			// No secret to get wrong: the source address is the proof.
			c.skip = func(v hostileVendor) bool { return v.credential == "" || skip != nil && skip(v) }
		case "credential header 8 KiB":
			c.want["yoti"], c.want["socure-basic"] = "401 unsupported_scheme", "401 unsupported_scheme"
		case "number out of range, genuinely proved":
			// Its "id" and "type" are an Ondato envelope's, with the
			// numbers in members Ondato's route does not read: 200.
			for _, v := range []string{"yoti", "socure-basic", "jumio", "jumio-proxied"} {
				c.want[v] = "400 invalid_payload"
			}
		}
	}
	runHostileInput(t, vendors, cases)
}
