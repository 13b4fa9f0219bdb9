package integration

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/biohook/caddy-biohook/deliver"
)

// The body-HMAC IDV vendors as rows of the hostile-input suite.
func hostileIDVVendors(t *testing.T) []hostileVendor {
	route := func(vendor, extra string) string {
		return "biohook " + vendor + " {\n\t\t\tsecret " + hostileSecret + extra + "\n\t\t\tmax_size 384KiB\n\t\t}"
	}
	return []hostileVendor{
		{name: "veriff", path: "/hooks/veriff", credential: "X-HMAC-SIGNATURE",
			route:   route("veriff", "\n\t\t\tapi_key hostile-api-key-01"),
			valid:   built(deliver.Options{Vendor: "veriff", Settings: map[string]string{"api_key": "hostile-api-key-01"}}),
			payload: readFixture(t, "veriff", "decision_declined.json"), bodyIntegrity: true},
		{name: "onfido", path: "/hooks/onfido", credential: "X-SHA2-Signature", route: route("onfido", ""),
			valid: built(deliver.Options{Vendor: "onfido"}), payload: readFixture(t, "onfido", "workflow_run.completed.approved.json"), bodyIntegrity: true},
		{name: "idenfy", path: "/hooks/idenfy", credential: "Idenfy-Signature", route: route("idenfy", ""),
			valid: built(deliver.Options{Vendor: "idenfy"}), payload: readFixture(t, "idenfy", "approved.json"), bodyIntegrity: true},
		{name: "metamap", path: "/hooks/metamap", credential: "x-signature", route: route("metamap", ""),
			valid: built(deliver.Options{Vendor: "metamap"}), payload: readFixture(t, "metamap", "verification_completed.json"), bodyIntegrity: true},
		{name: "sumsub", path: "/hooks/sumsub", credential: "X-Payload-Digest", route: route("sumsub", "\n\t\t\talgorithm sha1"),
			valid:   built(deliver.Options{Vendor: "sumsub", Settings: map[string]string{"algorithm": "sha1"}}),
			payload: readFixture(t, "sumsub", "applicantReviewed.red_final.json"), bodyIntegrity: true},
		{name: "didit", path: "/hooks/didit", credential: "X-Signature", route: route("didit", ""),
			valid: built(deliver.Options{Vendor: "didit"}), payload: readFixture(t, "didit", "status.updated.approved.json"), bodyIntegrity: true},
	}
}

// idvHostileWant is what every body-HMAC IDV vendor answers to each
// hostile case: the proof is the HMAC, so everything about it is a 401
// with the signature's reason; behind a genuine proof, only what is not
// one valid JSON object is refused.
var idvHostileWant = map[string]string{
	"genuine":                         "200",
	"body exactly at max_size":        "200",
	"body one byte over max_size":     "413 too_large",
	"credential missing":              "401 missing_signature",
	"wrong secret":                    "401 signature_mismatch",
	"body tampered by one byte":       "401 signature_mismatch",
	"credential header twice":         "401 duplicate_header",
	"credential header 8 KiB":         "401 signature_mismatch", // 8192 A's are hex: a MAC of the wrong length
	"credential header 64 KiB":        "431",
	"empty body":                      "401 signature_mismatch",
	"gzip-encoded":                    "415 unsupported_encoding",
	"wrong content type":              "415 unsupported_media_type",
	"GET":                             "405 method_not_allowed",
	"PUT":                             "405 method_not_allowed",
	"invalid UTF-8, genuinely proved": "400 invalid_json",
	"100k levels of nesting, genuinely proved": "400 invalid_json",
	"duplicate keys, genuinely proved":         "400 invalid_json",
	"number out of range, genuinely proved":    "200", // read as text where read at all, and carried in raw
	"JSON array, genuinely proved":             "400 invalid_json",
}

// TestHostileIDVHMAC sends every hostile case to every body-HMAC IDV vendor
// through a real Caddy: each gets its status and reason, none a 5xx, and
// nothing but genuine deliveries reaches the upstream.
func TestHostileIDVHMAC(t *testing.T) {
	up := newUpstream(t)
	vendors := hostileIDVVendors(t)
	tester := startCaddyWith(t, hostileGlobals, hostileSite(up, vendors))
	tried := 0
	for _, c := range hostileCases() {
		want, ok := idvHostileWant[c.name]
		if !ok {
			t.Fatalf("no expectation for the hostile case %q", c.name)
		}
		for _, v := range vendors {
			if c.skip != nil && c.skip(v) {
				t.Fatalf("%s: case %q skipped", v.name, c.name)
			}
			t.Run(v.name+"/"+c.name, func(t *testing.T) {
				method, body, h := c.build(t, v)
				res, answer := send(t, tester, method, v.path, body, h)
				wantStatus, code, _ := strings.Cut(want, " ")
				if got := strconv.Itoa(res.StatusCode); got != wantStatus || (code != "" && answer != errorBody(code)) {
					t.Fatalf("answer %s %s, want %s", got, answer, want)
				}
				got := up.take()
				if res.StatusCode == 200 && len(got) != 1 || res.StatusCode != 200 && len(got) != 0 {
					t.Fatalf("answered %d, the upstream received %d", res.StatusCode, len(got))
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

// What a client library will not send, for each body-HMAC IDV vendor: a
// chunked genuine delivery passes; a short Content-Length, a signature
// folded over two lines and a bare CR in a header never reach the upstream.
// (The rows that wait on the server's timeouts are the same for every
// vendor and run in TestHostileWire.)
func TestHostileIDVHMACWire(t *testing.T) {
	up := newUpstream(t)
	vendors := hostileIDVVendors(t)
	startCaddyWith(t, hostileGlobals, hostileSite(up, vendors))
	for _, v := range vendors {
		body, h := v.valid(t, v.path, v.payload, hostileSecret)
		head := rawHead(v.path, h)
		t.Run(v.name+"/chunked genuine", func(t *testing.T) {
			half := len(body) / 2
			raw := head + "Transfer-Encoding: chunked\r\n\r\n" +
				fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, body[:half], len(body)-half, body[half:])
			if status := rawSend(t, raw, 0); status != 200 || len(up.take()) != 1 {
				t.Fatalf("status %d", status)
			}
		})
		t.Run(v.name+"/Content-Length smaller than the body", func(t *testing.T) {
			raw := head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body)-5, body)
			if status := rawSend(t, raw, 0); status == 200 || len(up.take()) != 0 {
				t.Fatalf("status %d", status)
			}
		})
		t.Run(v.name+"/signature folded over two lines", func(t *testing.T) {
			name, cred := http.CanonicalHeaderKey(v.credential), h.Get(v.credential)
			folded := strings.Replace(head, name+": "+cred+"\r\n", name+": "+cred[:len(cred)/2]+"\r\n "+cred[len(cred)/2:]+"\r\n", 1)
			if folded == head {
				t.Fatal("the signature line was not found")
			}
			raw := folded + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
			if status := rawSend(t, raw, 0); status != 401 || len(up.take()) != 0 {
				t.Fatalf("status %d", status)
			}
		})
		t.Run(v.name+"/bare CR in a header", func(t *testing.T) {
			raw := head + "X-Injected: a\rInjected: b\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
			if status := rawSend(t, raw, 0); status == 200 || len(up.take()) != 0 {
				t.Fatalf("status %d", status)
			}
		})
	}
}
