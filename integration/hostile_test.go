package integration

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
	"github.com/biohook/caddy-biohook/verify"
)

// hostileVendor is one row family of the hostile-input suite: a route and
// a way to build a genuine delivery to it.
type hostileVendor struct {
	name       string
	path       string
	route      string // the biohook block, max_size hostileMaxSize
	credential string // the header that carries the proof
	// valid builds a genuine delivery of payload (the vendor's JSON) to
	// path, proved with secret: the body as sent and its headers.
	valid   func(t *testing.T, path string, payload []byte, secret string) ([]byte, http.Header)
	payload []byte // a genuine payload
	// bodyIntegrity: the vendor's proof covers the body, so a one-byte
	// change is refused (a static token or header does not).
	bodyIntegrity bool
	// padOutside: the body is JSON whose proof does not cover whitespace
	// around it (the encrypted ARGOS envelope), so a body of an exact size
	// is made by padding the body as sent rather than the payload.
	padOutside bool
}

const hostileSecret = "hostile-suite-secret"

// hostileGlobals bounds how long a client may take to send a body, as the
// README advises for production.
const hostileGlobals = `servers {
		timeouts {
			read_body 2s
		}
	}`

// built returns a valid func that builds deliveries with deliver.Build.
func built(o deliver.Options) func(t *testing.T, path string, payload []byte, secret string) ([]byte, http.Header) {
	return func(t *testing.T, path string, payload []byte, secret string) ([]byte, http.Header) {
		o := o
		o.URL, o.Payload, o.Secrets = caddyBase+path, payload, []string{secret}
		if h := o.Settings["header"]; h != "" {
			// a static header carries the secret: nothing is signed or encrypted
			o.Settings, o.Secrets = map[string]string{"header": h + secret}, nil
		}
		d, err := deliver.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		return d.Body, d.Header
	}
}

func hostileVendors(t *testing.T) []hostileVendor {
	return []hostileVendor{
		{
			name: "faceio", path: "/hooks/faceio", credential: "WWW-Authenticate",
			route:   "biohook faceio {\n\t\t\tsecret " + hostileSecret + "\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:   built(deliver.Options{Vendor: "faceio"}),
			payload: readFixture(t, "faceio", "auth.json"),
		},
		{
			name: "entrust", path: "/hooks/entrust", credential: "Signature",
			route:         "biohook entrust {\n\t\t\tsecret " + hostileSecret + "\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:         built(deliver.Options{Vendor: "entrust"}),
			payload:       readFixture(t, "entrust", "face.biometric.created.json"),
			bodyIntegrity: true,
		},
		{
			name: "authenteq", path: "/hooks/authenteq", credential: "X-Signature",
			route:         "biohook authenteq {\n\t\t\tclient_id hostile-client\n\t\t\tsecret " + hostileSecret + "\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:         built(deliver.Options{Vendor: "authenteq", ClientID: "hostile-client"}),
			payload:       []byte(`{"id":"7f1c2a4e-0000-4000-8000-0000000000aa","status":"PASSED","documentData":{"documentType":"PP"}}`),
			bodyIntegrity: true,
		},
		{
			name: "argos", path: "/hooks/argos", credential: "X-Argos-Token",
			route:   "biohook argos {\n\t\t\theader X-Argos-Token " + hostileSecret + "\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:   built(deliver.Options{Vendor: "argos", Settings: map[string]string{"header": "X-Argos-Token: "}}),
			payload: readFixture(t, "argos", "approved.json"),
		},
		{
			// "secure data transmission" in ECB, a secret path segment and
			// the source address: a changed byte garbles its block, so the
			// body is refused; the source address proves the sender (ECB
			// blocks of genuine deliveries can be recombined).
			name: "argos-encrypted", path: "/hooks/argos-encrypted/" + hostileSecret,
			route: "biohook argos {\n\t\t\tsecret " + hostileSecret + "\n\t\t\tmode ecb\n\t\t\tsource_ips 127.0.0.1 ::1\n\t\t\tpath_token " + hostileSecret +
				"\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:         built(deliver.Options{Vendor: "argos"}),
			payload:       readFixture(t, "argos", "approved.json"),
			bodyIntegrity: true,
			padOutside:    true,
		},
		{
			name: "incode", path: "/hooks/incode", credential: "X-Incode-Key",
			route:   "biohook incode {\n\t\t\theader X-Incode-Key " + hostileSecret + "\n\t\t\tmax_size 384KiB\n\t\t}",
			valid:   built(deliver.Options{Vendor: "incode", Settings: map[string]string{"header": "X-Incode-Key: "}}),
			payload: readFixture(t, "incode", "auth_pass.json"),
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
	name  string
	build func(t *testing.T, v hostileVendor) (method string, body []byte, h http.Header)
	// want is the answer, "<status> <reason>" or "<status>" when the body
	// is not a refusal's, by vendor name; "*" is every other vendor.
	want map[string]string
	skip func(v hostileVendor) bool
}

// every is a want that is the same for every vendor.
func every(want string) map[string]string { return map[string]string{"*": want} }

func hostileCases() []hostileCase {
	genuine := func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		body, h := v.valid(t, v.path, v.payload, hostileSecret)
		return http.MethodPost, body, h
	}
	with := func(f func(v hostileVendor, h http.Header, body []byte) []byte) func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		return func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			m, body, h := genuine(t, v)
			if nb := f(v, h, body); nb != nil {
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
			body, h := v.valid(t, v.path, payload, hostileSecret)
			return http.MethodPost, body, h
		}
	}
	// sized builds a genuine delivery whose body is exactly max_size plus
	// extra bytes, padding the payload with JSON whitespace.
	sized := func(extra int) func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
		return func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			body, h := v.valid(t, v.path, v.payload, hostileSecret)
			pad := hostileMaxSize + extra - len(body)
			if v.padOutside {
				body = append(bytes.Repeat([]byte(" "), pad), body...)
			} else {
				padded := append(bytes.Repeat([]byte(" "), pad), v.payload...)
				body, h = v.valid(t, v.path, padded, hostileSecret)
			}
			if len(body) != hostileMaxSize+extra {
				t.Fatalf("built %d bytes, want %d", len(body), hostileMaxSize+extra)
			}
			return http.MethodPost, body, h
		}
	}
	// 100,000 levels inside a payload that fits max_size.
	deep := []byte(`{"eventName":"AUTH","id":"1","type":"x","webhook_trigger":"approved","a":` +
		strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}")
	noHeader := func(v hostileVendor) bool { return v.credential == "" } // the proof is no header
	return []hostileCase{
		{"genuine", genuine, every("200"), nil},
		{"body exactly at max_size", sized(0), every("200"), nil},
		{"body one byte over max_size", sized(1), every("413 too_large"), nil},
		{"credential missing", with(func(v hostileVendor, h http.Header, _ []byte) []byte { h.Del(v.credential); return nil }),
			map[string]string{"faceio": "401 missing_token", "entrust": "401 missing_signature", "authenteq": "401 missing_signature",
				"*": "401 missing_header"}, noHeader},
		{"wrong secret", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			body, h := v.valid(t, v.path, v.payload, "not-the-secret")
			return http.MethodPost, body, h
		}, map[string]string{"faceio": "401 token_mismatch", "entrust": "401 signature_mismatch", "authenteq": "401 signature_mismatch",
			"argos-encrypted": "401 decryption_failed", "*": "401 header_mismatch"}, nil},
		{"body tampered by one byte", with(func(_ hostileVendor, _ http.Header, body []byte) []byte {
			b := bytes.Clone(body)
			i := bytes.LastIndexByte(b, '"') - 1
			b[i] ^= 1
			return b
		}), map[string]string{"entrust": "401 digest_mismatch", "authenteq": "401 signature_mismatch", "argos-encrypted": "401 decryption_failed"},
			func(v hostileVendor) bool { return !v.bodyIntegrity }},
		{"credential header twice", with(func(v hostileVendor, h http.Header, _ []byte) []byte {
			h.Add(v.credential, h.Get(v.credential))
			return nil
		}), every("401 duplicate_header"), noHeader},
		{"credential header 8 KiB", with(func(v hostileVendor, h http.Header, _ []byte) []byte {
			h.Set(v.credential, strings.Repeat("A", 8<<10))
			return nil
		}), map[string]string{"faceio": "401 token_mismatch", "entrust": "401 malformed_signature", "authenteq": "401 malformed_signature",
			"*": "401 header_mismatch"}, noHeader},
		// Refused by the server (its max_header_size) before any handler runs.
		{"credential header 64 KiB", with(func(v hostileVendor, h http.Header, _ []byte) []byte {
			h.Set(v.credential, strings.Repeat("A", 64<<10))
			return nil
		}), every("431"), noHeader},
		{"empty body", with(func(hostileVendor, http.Header, []byte) []byte { return []byte{} }),
			map[string]string{"entrust": "401 digest_mismatch", "authenteq": "401 signature_mismatch", "*": "400 invalid_json"}, nil},
		{"gzip-encoded", with(func(_ hostileVendor, h http.Header, body []byte) []byte {
			h.Set("Content-Encoding", "gzip")
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			return buf.Bytes()
		}), every("415 unsupported_encoding"), nil},
		{"wrong content type", with(func(_ hostileVendor, h http.Header, _ []byte) []byte { h.Set("Content-Type", "text/plain"); return nil }),
			every("415 unsupported_media_type"), nil},
		{"GET", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			_, body, h := genuine(t, v)
			return http.MethodGet, body, h
		}, every("405 method_not_allowed"), nil},
		{"PUT", func(t *testing.T, v hostileVendor) (string, []byte, http.Header) {
			_, body, h := genuine(t, v)
			return http.MethodPut, body, h
		}, every("405 method_not_allowed"), nil},
		// Behind a genuine proof. An encrypted ARGOS payload that is not one
		// valid JSON object fails as any failed decryption does: one reason,
		// so that the answer is no oracle.
		{"invalid UTF-8, genuinely proved", signedPayload([]byte("{\"eventName\":\"AUTH\",\"id\":\"1\",\"type\":\"x\",\"webhook_trigger\":\"approved\",\"facialId\":\"\xff\xfe\"}")),
			map[string]string{"argos-encrypted": "401 decryption_failed", "*": "400 invalid_json"}, nil},
		{"100k levels of nesting, genuinely proved", signedPayload(deep),
			map[string]string{"argos-encrypted": "401 decryption_failed", "*": "400 invalid_json"}, nil},
		{"duplicate keys, genuinely proved", signedPayload([]byte(`{"eventName":"AUTH","eventName":"DELETION","id":"1","id":"2","type":"user.deleted","webhook_trigger":"approved"}`)),
			map[string]string{"argos-encrypted": "401 decryption_failed", "*": "400 invalid_json"}, nil},
		// JSON numbers have no range: one the module reads as a number (an
		// Incode score) is refused; elsewhere it is carried in raw as sent.
		{"number out of range, genuinely proved", signedPayload([]byte(`{"eventName":"AUTH","facialId":1e999999,"id":"1","type":"x","eventTime":1e999999,"webhook_trigger":"approved","overallStatus":"PASS","overallScore":1e999999}`)),
			map[string]string{"incode": "400 invalid_json", "*": "200"}, nil},
		{"JSON array, genuinely proved", signedPayload([]byte(`[1,2,3]`)),
			map[string]string{"argos-encrypted": "401 decryption_failed", "*": "400 invalid_json"}, nil},
	}
}

// hostileMaxSize is the routes' max_size: room for 100,000 levels of
// nesting, encrypted.
const hostileMaxSize = 384 << 10

// TestHostileInput sends every hostile case to every vendor through a real
// Caddy: each gets its status, no case gets a 5xx, and nothing but genuine
// deliveries reaches the upstream.
func TestHostileInput(t *testing.T) {
	runHostileInput(t, hostileVendors(t), hostileCases())
}

// runHostileInput sends every case to every vendor's route, all in one
// Caddy, and holds each answer to the case's want.
func runHostileInput(t *testing.T, vendors []hostileVendor, cases []hostileCase) {
	up := newUpstream(t)
	tester := startCaddyWith(t, hostileGlobals, hostileSite(up, vendors))
	tried := 0
	for _, v := range vendors {
		for _, c := range cases {
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
				want, ok := c.want[v.name]
				if !ok {
					want = c.want["*"]
				}
				wantStatus, code, _ := strings.Cut(want, " ")
				if got := strconv.Itoa(res.StatusCode); got != wantStatus || (code != "" && answer != errorBody(code)) {
					t.Fatalf("answer %s %s, want %s", got, answer, want)
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
		body, h := v.valid(t, v.path, v.payload, hostileSecret)
		v := v
		v.payload = body // the wire rows send the built body as it is
		head := rawHead(v.path, h)
		t.Run(v.name+"/chunked genuine", func(t *testing.T) {
			half := len(v.payload) / 2
			raw := head + "Transfer-Encoding: chunked\r\n\r\n" +
				fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, v.payload[:half], len(v.payload)-half, v.payload[half:])
			status := rawSend(t, raw, 0)
			if status != 200 || len(up.take()) != 1 {
				t.Fatalf("status %d", status)
			}
		})
		t.Run(v.name+"/Content-Length smaller than the body", func(t *testing.T) {
			raw := head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.payload)-5, v.payload)
			status := rawSend(t, raw, 0)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		if v.credential != "" {
			t.Run(v.name+"/credential folded over two lines", func(t *testing.T) {
				name, cred := http.CanonicalHeaderKey(v.credential), h.Get(v.credential)
				folded := strings.Replace(head, name+": "+cred+"\r\n",
					name+": "+cred[:len(cred)/2]+"\r\n "+cred[len(cred)/2:]+"\r\n", 1)
				if folded == head {
					t.Fatal("the credential line was not found")
				}
				raw := folded + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.payload), v.payload)
				// The server joins the lines with a space: a value the proof
				// does not match.
				status := rawSend(t, raw, 0)
				if got := up.take(); status != 401 || len(got) != 0 {
					t.Fatalf("status %d; upstream received %d", status, len(got))
				}
			})
		}
		t.Run(v.name+"/bare CR in a header", func(t *testing.T) {
			raw := head + "X-Injected: a\rInjected: b\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.payload), v.payload)
			status := rawSend(t, raw, 0)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		if v.name != vendors[0].name {
			continue // the rows below wait on the server's timeouts, which no vendor changes
		}
		t.Run(v.name+"/Content-Length larger than the body", func(t *testing.T) {
			raw := head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(v.payload)+10, v.payload)
			status := rawSend(t, raw, 3*time.Second)
			if got := up.take(); status == 200 || len(got) != 0 {
				t.Fatalf("status %d; upstream received %d", status, len(got))
			}
		})
		t.Run(v.name+"/slow body", func(t *testing.T) {
			conn := dial(t)
			defer conn.Close()
			fmt.Fprintf(conn, "%sContent-Length: %d\r\n\r\n", head, len(v.payload))
			for i := 0; i < 6; i++ { // 3 s of trickle, past read_body 2s
				if _, err := conn.Write(v.payload[i : i+1]); err != nil {
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

// Entrust's signature covers the method, the target URI and the digest, and
// carries a creation time: each is checked, with its reason, and so is every
// way of splicing or editing the signature fields.
func TestHostileEntrustSignature(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret `+hostileSecret+`
			max_skew 2s
		}
		reverse_proxy `+up.addr()+`
	}
}`)
	body := readFixture(t, "entrust", "user.deleted.json")
	url := caddyBase + "/hooks/entrust"
	signedBy := func(s verify.HMACSigner, method, target string, digestBody []byte) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		h.Set("Content-Digest", verify.ContentDigest("sha-256", digestBody))
		s.Key = []byte(hostileSecret)
		if s.Label == "" {
			s.Label = "sig"
		}
		if s.Components == nil {
			s.Components = []string{"@method", "@target-uri", "content-digest"}
		}
		in, sig, err := s.Sign(verify.Message{Method: method, TargetURI: target, Header: h})
		if err != nil {
			t.Fatal(err)
		}
		h.Set("Signature-Input", in)
		h.Set("Signature", sig)
		return h
	}
	signed := func(method, target string, digestBody []byte) http.Header {
		return signedBy(verify.HMACSigner{Created: time.Now()}, method, target, digestBody)
	}
	// edited is a genuine delivery's headers with one field changed after signing.
	edited := func(name string, edit func(string) string) http.Header {
		h := signed("POST", url, body)
		v := edit(h.Get(name))
		if v == h.Get(name) {
			t.Fatalf("%s unchanged", name)
		}
		h.Set(name, v)
		return h
	}
	other := readFixture(t, "entrust", "user.created.json")
	tamperedDigest := signed("POST", url, body)
	tamperedDigest.Set("Content-Digest", verify.ContentDigest("sha-256", other))
	twoSignatures := signed("POST", url, body)
	twoSignatures.Add("Signature", twoSignatures.Get("Signature"))
	replayed := signed("POST", url, body)
	cases := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"signed for another path", signed("POST", caddyBase+"/hooks/other", body), "signature_mismatch"},
		{"signed for another method", signed("PUT", url, body), "signature_mismatch"},
		{"signed for another host", signed("POST", "http://evil.example.com:9080/hooks/entrust", body), "signature_mismatch"},
		{"Content-Digest of another body", tamperedDigest, "digest_mismatch"},
		{"signature and digest of another body", signed("POST", url, other), "digest_mismatch"},
		{"two Signature headers", twoSignatures, "duplicate_header"},
		{"two Content-Digest headers", func() http.Header {
			h := signed("POST", url, body)
			h.Add("Content-Digest", h.Get("Content-Digest"))
			return h
		}(), "duplicate_header"},
		{"two Signature-Input headers", func() http.Header {
			h := signed("POST", url, body)
			h.Add("Signature-Input", h.Get("Signature-Input"))
			return h
		}(), "duplicate_header"},
		{"created moved after signing", edited("Signature-Input", func(v string) string {
			return regexp.MustCompile(`;created=\d+`).ReplaceAllStringFunc(v, func(c string) string {
				n, _ := strconv.ParseInt(strings.TrimPrefix(c, ";created="), 10, 64)
				// A second later, not earlier: on a busy machine a second
				// earlier can fall out of the 2 s window and be refused as
				// stale before the signature is compared.
				return ";created=" + strconv.FormatInt(n+1, 10)
			})
		}), "signature_mismatch"},
		{"alg changed after signing", edited("Signature-Input", func(v string) string {
			return strings.Replace(v, `alg="hmac-sha256"`, `alg="hmac-sha512"`, 1)
		}), "unsupported_signature"},
		{"a second, wrong sha-512 digest", edited("Content-Digest", func(v string) string {
			return v + ", " + verify.ContentDigest("sha-512", other)
		}), "digest_mismatch"},
		{"only an md5 digest", edited("Content-Digest", func(string) string { return "md5=:HUXZLQLMuI/KZ5KDcJPcOA==:" }), "unsupported_digest"},
		{"Content-Digest not covered", signedBy(verify.HMACSigner{Components: []string{"@method", "@target-uri"}, Created: time.Now()},
			"POST", url, body), "unsupported_signature"},
		{"signed under another label", signedBy(verify.HMACSigner{Label: "other", Created: time.Now()}, "POST", url, body), "missing_signature"},
		{"created in the future", signedBy(verify.HMACSigner{Created: time.Now().Add(time.Minute)}, "POST", url, body), "signature_in_future"},
	}
	for _, c := range cases {
		res, answer := post(t, tester, "/hooks/entrust", body, c.header)
		if res.StatusCode != 401 || answer != errorBody(c.code) {
			t.Errorf("%s: %d %s, want 401 %s", c.name, res.StatusCode, answer, c.code)
		}
	}
	res, answer := post(t, tester, "/hooks/entrust", body, replayed)
	mustStatus(t, res, answer, 200)
	time.Sleep(3 * time.Second) // past max_skew
	res, answer = post(t, tester, "/hooks/entrust", body, replayed)
	if res.StatusCode != 401 || answer != errorBody("stale_signature") {
		t.Errorf("replayed after max_skew: %d %s", res.StatusCode, answer)
	}
	if n := len(up.take()); n != 1 {
		t.Fatalf("upstream received %d, want only the genuine delivery", n)
	}
}
