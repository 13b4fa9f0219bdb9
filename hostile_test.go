package biohook

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hostileVendor is one row family of the hostile-input suite: a route and
// a way to build a genuine delivery to it.
type hostileVendor struct {
	name       string
	path       string
	route      string // the biohook block, max_size 64KiB
	credential string // the header that carries the proof
	// valid builds a genuine delivery of body to path, proved with secret.
	valid func(t *testing.T, path string, body []byte, secret string) http.Header
	body  []byte // a genuine payload
	// bodyIntegrity: the vendor's proof covers the body, so a one-byte
	// change is refused (FACEIO's token does not).
	bodyIntegrity bool
	wrapBody      func(payload []byte) []byte // builds the delivered body from a JSON payload
}

const hostileSecret = "hostile-suite-secret"

// hostileGlobals bounds how long a client may take to send a body, as the
// README advises for production.
const hostileGlobals = `servers {
		timeouts {
			read_body 2s
		}
	}`

func hostileVendors(t *testing.T) []hostileVendor {
	return []hostileVendor{
		{
			name: "faceio", path: "/hooks/faceio", credential: "WWW-Authenticate",
			route: `biohook faceio {
			secret ` + hostileSecret + `
			max_size 64KiB
		}`,
			valid: func(t *testing.T, path string, body []byte, secret string) http.Header {
				return faceioHeaders(secret)
			},
			body: readFixture(t, "faceio", "auth.json"),
		},
		{
			name: "entrust", path: "/hooks/entrust", credential: "Signature",
			route: `biohook entrust {
			secret ` + hostileSecret + `
			max_size 64KiB
		}`,
			valid: func(t *testing.T, path string, body []byte, secret string) http.Header {
				return entrustHeaders(t, caddyBase+path, body, secret, time.Now())
			},
			body:          readFixture(t, "entrust", "face.biometric.created.json"),
			bodyIntegrity: true,
		},
	}
}

func hostileSite(up *upstream, vendors []hostileVendor) string {
	var b strings.Builder
	b.WriteString(":9080 {\n")
	for _, v := range vendors {
		fmt.Fprintf(&b, "\thandle %s {\n\t\t%s\n\t\treverse_proxy %s\n\t}\n", v.path, v.route, up.addr())
	}
	b.WriteString("}\n")
	return b.String()
}

type hostileCase struct {
	name   string
	build  func(t *testing.T, v hostileVendor) (method string, body []byte, h http.Header)
	status []int // any of these
	skip   func(v hostileVendor) bool
}

func hostileCases() []hostileCase {
	genuine := func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		return http.MethodPost, v.body, v.valid(t, v.path, v.body, hostileSecret)
	}
	with := func(f func(h http.Header, body []byte) []byte) func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		return func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			m, body, h := genuine(t, v)
			if nb := f(h, body); nb != nil {
				body = nb
			}
			return m, body, h
		}
	}
	// signedPayload builds a genuine delivery of an arbitrary payload: what
	// an attacker who holds no secret cannot do, so these rows probe the
	// parsers behind a valid proof.
	signedPayload := func(payload []byte) func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		return func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			return http.MethodPost, payload, v.valid(t, v.path, payload, hostileSecret)
		}
	}
	deep := []byte(strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000))
	return []hostileCase{
		{"genuine", genuine, []int{200}, nil},
		{"credential missing", with(func(h http.Header, _ []byte) []byte { h.Del(hostileVendorCredential(h)); return nil }), []int{401}, nil},
		{"wrong secret", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			return http.MethodPost, v.body, v.valid(t, v.path, v.body, "not-the-secret")
		}, []int{401}, nil},
		{"body tampered by one byte", with(func(_ http.Header, body []byte) []byte {
			b := bytes.Clone(body)
			i := bytes.LastIndexByte(b, '"') - 1
			b[i] ^= 1
			return b
		}), []int{401}, func(v hostileVendor) bool { return !v.bodyIntegrity }},
		{"credential header twice", with(func(h http.Header, _ []byte) []byte {
			name := hostileVendorCredential(h)
			h.Add(name, h.Get(name))
			return nil
		}), []int{401}, nil},
		{"credential header 64 KiB", with(func(h http.Header, _ []byte) []byte {
			h.Set(hostileVendorCredential(h), strings.Repeat("A", 64<<10))
			return nil
		}), []int{401, 431}, nil},
		{"empty body", with(func(h http.Header, _ []byte) []byte { return []byte{} }), []int{400, 401}, nil},
		{"gzip-encoded", with(func(h http.Header, body []byte) []byte {
			h.Set("Content-Encoding", "gzip")
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			return buf.Bytes()
		}), []int{415}, nil},
		{"wrong content type", with(func(h http.Header, _ []byte) []byte { h.Set("Content-Type", "text/plain"); return nil }), []int{415}, nil},
		{"GET", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			_, body, h := genuine(t, v)
			return http.MethodGet, body, h
		}, []int{405}, nil},
		{"PUT", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			_, body, h := genuine(t, v)
			return http.MethodPut, body, h
		}, []int{405}, nil},
		{"over max_size", with(func(h http.Header, body []byte) []byte {
			return append(bytes.Repeat([]byte(" "), 64<<10), body...)
		}), []int{413}, nil},
		{"invalid UTF-8, genuinely proved", signedPayload([]byte("{\"eventName\":\"AUTH\",\"id\":\"1\",\"type\":\"x\",\"facialId\":\"\xff\xfe\"}")), []int{400}, nil},
		{"100k levels of nesting, genuinely proved", signedPayload(deep), []int{400, 413}, nil},
		{"duplicate keys, genuinely proved", signedPayload([]byte(`{"eventName":"AUTH","eventName":"DELETION","id":"1","id":"2","type":"user.deleted"}`)), []int{400}, nil},
		{"number out of range, genuinely proved", signedPayload([]byte(`{"eventName":"AUTH","facialId":1e999999,"id":"1","type":"x","eventTime":1e999999}`)), []int{200, 400}, nil},
		{"JSON array, genuinely proved", signedPayload([]byte(`[1,2,3]`)), []int{400}, nil},
	}
}

// hostileVendorCredential names the header that carries the proof in h.
func hostileVendorCredential(h http.Header) string {
	for _, name := range []string{"Signature", "WWW-Authenticate", "X-Signature", "Authorization"} {
		if h.Get(name) != "" {
			return name
		}
	}
	return "Signature"
}

// TestHostileInput sends every hostile case to every vendor through a real
// Caddy: each gets its status, no case gets a 5xx, and nothing but genuine
// deliveries reaches the upstream.
func TestHostileInput(t *testing.T) {
	up := newUpstream(t)
	vendors := hostileVendors(t)
	tester := startCaddyWith(t, hostileGlobals, hostileSite(up, vendors))
	tried := 0
	for _, v := range vendors {
		for _, c := range hostileCases() {
			if c.skip != nil && c.skip(v) {
				continue
			}
			t.Run(v.name+"/"+c.name, func(t *testing.T) {
				method, body, h := c.build(t, v)
				start := time.Now()
				res, answer := send(t, tester, method, v.path, body, h)
				if time.Since(start) > 2*time.Second {
					t.Errorf("took %s", time.Since(start))
				}
				if !containsInt(c.status, res.StatusCode) {
					t.Fatalf("status %d (%s), want one of %v", res.StatusCode, answer, c.status)
				}
				got := up.take()
				if res.StatusCode == 200 && len(got) != 1 {
					t.Fatalf("accepted, but the upstream received %d", len(got))
				}
				if res.StatusCode != 200 && len(got) != 0 {
					t.Fatalf("refused, but the upstream received %d", len(got))
				}
				if strings.Contains(answer, hostileSecret) {
					t.Fatal("the answer contains the secret")
				}
			})
			tried++
		}
	}
	t.Logf("%d hostile cases tried", tried)
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// TestHostileWire sends what an HTTP client library will not: lying
// Content-Length in both directions, chunked bodies, a bare CR in a header
// value, and a body that trickles in slower than the server's read_body
// timeout. Genuine chunked deliveries are accepted; the rest never reach the
// upstream.
func TestHostileWire(t *testing.T) {
	up := newUpstream(t)
	vendors := hostileVendors(t)
	startCaddyWith(t, hostileGlobals, hostileSite(up, vendors))
	for _, v := range vendors {
		h := v.valid(t, v.path, v.body, hostileSecret)
		head := rawHead(v.path, h)
		t.Run(v.name+"/chunked genuine", func(t *testing.T) {
			half := len(v.body) / 2
			raw := head + "Transfer-Encoding: chunked\r\n\r\n" +
				fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, v.body[:half], len(v.body)-half, v.body[half:])
			status := rawSend(t, raw, 0)
			if status != 200 || len(up.take()) != 1 {
				t.Fatalf("status %d", status)
			}
		})
		t.Run(v.name+"/Content-Length larger than the body", func(t *testing.T) {
			raw := head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.body)+10, v.body)
			status := rawSend(t, raw, 3*time.Second)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		t.Run(v.name+"/Content-Length smaller than the body", func(t *testing.T) {
			raw := head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.body)-5, v.body)
			status := rawSend(t, raw, 0)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		t.Run(v.name+"/bare CR in a header", func(t *testing.T) {
			raw := head + "X-Injected: a\rInjected: b\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.body), v.body)
			status := rawSend(t, raw, 0)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		t.Run(v.name+"/slow body", func(t *testing.T) {
			conn := dial(t)
			defer conn.Close()
			fmt.Fprintf(conn, "%sContent-Length: %d\r\n\r\n", head, len(v.body))
			for i := 0; i < 6; i++ { // 3 s of trickle, past read_body 2s
				if _, err := conn.Write(v.body[i : i+1]); err != nil {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil && res.StatusCode == 200 {
				t.Fatal("a trickled body was accepted")
			}
			if len(up.take()) != 0 {
				t.Fatal("upstream reached")
			}
		})
	}
}

func rawHead(path string, h http.Header) string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: localhost:9080\r\nConnection: close\r\n", path)
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	return b.String()
}

func dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "localhost:9080", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// rawSend writes raw to the server and returns the status of the first
// answer, or 0 when the server closed the connection without one.
func rawSend(t *testing.T, raw string, wait time.Duration) int {
	t.Helper()
	conn := dial(t)
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	if wait == 0 {
		wait = 2 * time.Second
	}
	conn.SetReadDeadline(time.Now().Add(wait + 3*time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
