package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
)

// The body-HMAC IDV vendors through a real Caddy: the routes, and what a
// genuine delivery to each carries.
const idvSecret = "idv-route-secret-2026"

type idvRoute struct {
	vendor, path string
	block        string            // the vendor's options
	settings     map[string]string // deliver settings for a genuine delivery
	credentials  []string          // headers that must not reach the upstream
}

func idvRoutesHMAC() []idvRoute {
	return []idvRoute{
		{"veriff", "/hooks/veriff", "secret {env.IDV_SECRET}\n\t\t\tapi_key veriff-api-key-0001", map[string]string{"api_key": "veriff-api-key-0001"},
			[]string{"X-Hmac-Signature", "X-Auth-Client"}},
		{"onfido", "/hooks/onfido", "secret {env.IDV_SECRET}", nil, []string{"X-Sha2-Signature"}},
		{"idenfy", "/hooks/idenfy", "secret {env.IDV_SECRET}", nil, []string{"Idenfy-Signature"}},
		{"metamap", "/hooks/metamap", "secret {env.IDV_SECRET}", nil, []string{"X-Signature"}},
		{"sumsub", "/hooks/sumsub", "secret {env.IDV_SECRET}\n\t\t\talgorithm sha512", map[string]string{"algorithm": "sha512"},
			[]string{"X-Payload-Digest"}},
		{"didit", "/hooks/didit", "secret {env.IDV_SECRET}\n\t\t\tmax_skew 1m", nil, []string{"X-Signature", "X-Signature-V2", "X-Signature-Simple"}},
	}
}

func idvSiteHMAC(up *upstream) string {
	var b strings.Builder
	b.WriteString(":9080 {\n")
	for _, r := range idvRoutesHMAC() {
		b.WriteString("\thandle " + r.path + " {\n\t\tbiohook " + r.vendor + " {\n\t\t\t" + r.block + "\n\t\t}\n\t\treverse_proxy " + up.addr() + "\n\t}\n")
	}
	// A second Veriff route that deduplicates, for the replay test.
	b.WriteString("\thandle /hooks/veriff-dedupe {\n\t\tbiohook veriff {\n\t\t\tsecret {env.IDV_SECRET}\n\t\t\tdedupe\n\t\t}\n\t\treverse_proxy " +
		up.addr() + "\n\t}\n}\n")
	return b.String()
}

func startIDV(t *testing.T) (*upstream, func(path string, body []byte, h http.Header) (*http.Response, string)) {
	t.Helper()
	t.Setenv("IDV_SECRET", idvSecret)
	up := newUpstream(t)
	tester := startCaddy(t, idvSiteHMAC(up))
	return up, func(path string, body []byte, h http.Header) (*http.Response, string) {
		return post(t, tester, path, body, h)
	}
}

// signIDV builds a genuine delivery of payload to route r, signed with secret.
func signIDV(t *testing.T, r idvRoute, payload []byte, secret string, now time.Time) http.Header {
	t.Helper()
	d, err := deliver.Build(deliver.Options{Vendor: r.vendor, URL: caddyBase + r.path, Payload: payload, Secrets: []string{secret},
		Settings: r.settings, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return d.Header
}

// Every fixture of every vendor, signed as the vendor signs it, reaches the
// upstream as its golden event, as application/cloudevents+json with its id
// in Biohook-Event-Id and without the vendor's credential headers.
func TestIDVVendorsThroughCaddy(t *testing.T) {
	up, send := startIDV(t)
	for _, r := range idvRoutesHMAC() {
		names := fixtureNames(t, r.vendor)
		for _, name := range names {
			body := readFixture(t, r.vendor, name)
			h := signIDV(t, r, body, idvSecret, time.Now())
			h.Set("X-Signature-V2", "not-checked")
			res, answer := send(r.path, body, h)
			mustStatus(t, res, answer, http.StatusOK)
			if res.Header.Get("Biohook-Route") != r.vendor {
				t.Errorf("%s/%s: Biohook-Route %q", r.vendor, name, res.Header.Get("Biohook-Route"))
			}
			got := up.take()
			if len(got) != 1 {
				t.Fatalf("%s/%s: upstream got %d requests", r.vendor, name, len(got))
			}
			assertGolden(t, r.vendor, name, got[0].Body)
			if ct := got[0].Header.Get("Content-Type"); ct != "application/cloudevents+json" {
				t.Errorf("%s/%s: Content-Type %q", r.vendor, name, ct)
			}
			var ev struct{ ID string }
			if err := json.Unmarshal(got[0].Body, &ev); err != nil || ev.ID == "" || got[0].Header.Get("Biohook-Event-Id") != ev.ID {
				t.Errorf("%s/%s: Biohook-Event-Id %q, event id %q", r.vendor, name, got[0].Header.Get("Biohook-Event-Id"), ev.ID)
			}
			for _, c := range r.credentials {
				if got[0].Header.Get(c) != "" {
					t.Errorf("%s/%s: %s reached the upstream", r.vendor, name, c)
				}
			}
		}
	}
}

// Each refusal gets its 401 and reason, and the upstream receives nothing:
// the refusals every body-HMAC vendor shares, and each vendor's own
// (Veriff's API key, Sumsub's pinned algorithm, Didit's timestamp).
func TestIDVVendorsRefuseThroughCaddy(t *testing.T) {
	up, send := startIDV(t)
	type edit func(r idvRoute, h http.Header, body []byte) []byte
	sigHeader := map[string]string{"veriff": "X-Hmac-Signature", "onfido": "X-Sha2-Signature", "idenfy": "Idenfy-Signature",
		"metamap": "X-Signature", "sumsub": "X-Payload-Digest", "didit": "X-Signature"}
	shared := []struct {
		name, code string
		edit       edit
	}{
		{"signature missing", "missing_signature", func(r idvRoute, h http.Header, _ []byte) []byte { h.Del(sigHeader[r.vendor]); return nil }},
		{"signature twice", "duplicate_header", func(r idvRoute, h http.Header, _ []byte) []byte {
			h.Add(sigHeader[r.vendor], h.Get(sigHeader[r.vendor]))
			return nil
		}},
		{"signature not hex", "malformed_signature", func(r idvRoute, h http.Header, _ []byte) []byte {
			h.Set(sigHeader[r.vendor], "sha256="+h.Get(sigHeader[r.vendor]))
			return nil
		}},
		{"body changed", "signature_mismatch", func(_ idvRoute, _ http.Header, body []byte) []byte {
			return bytes.Replace(body, []byte(`"`), []byte(`'`), 1)
		}},
		{"whitespace added", "signature_mismatch", func(_ idvRoute, _ http.Header, body []byte) []byte { return append(body, '\n') }},
	}
	for _, r := range idvRoutesHMAC() {
		body := readFixture(t, r.vendor, fixtureNames(t, r.vendor)[0])
		for _, c := range shared {
			h := signIDV(t, r, body, idvSecret, time.Now())
			b := body
			if nb := c.edit(r, h, bytes.Clone(body)); nb != nil {
				b = nb
			}
			res, answer := send(r.path, b, h)
			if res.StatusCode != 401 || answer != errorBody(c.code) {
				t.Errorf("%s/%s: %d %s, want 401 %s", r.vendor, c.name, res.StatusCode, answer, c.code)
			}
		}
		h := signIDV(t, r, body, "another-secret", time.Now())
		if res, answer := send(r.path, body, h); res.StatusCode != 401 || answer != errorBody("signature_mismatch") {
			t.Errorf("%s/wrong secret: %d %s", r.vendor, res.StatusCode, answer)
		}
	}
	routes := map[string]idvRoute{}
	for _, r := range idvRoutesHMAC() {
		routes[r.vendor] = r
	}
	own := []struct {
		vendor, name, code string
		edit               func(h http.Header)
		at                 time.Duration // when the delivery was signed, from now
	}{
		{"veriff", "API key missing", "missing_api_key", func(h http.Header) { h.Del("X-Auth-Client") }, 0},
		{"veriff", "another API key", "api_key_mismatch", func(h http.Header) { h.Set("X-Auth-Client", "veriff-api-key-0002") }, 0},
		{"veriff", "API key twice", "duplicate_header", func(h http.Header) { h.Add("X-Auth-Client", "veriff-api-key-0001") }, 0},
		{"sumsub", "algorithm missing", "missing_algorithm", func(h http.Header) { h.Del("X-Payload-Digest-Alg") }, 0},
		{"sumsub", "another algorithm named", "algorithm_mismatch", func(h http.Header) { h.Set("X-Payload-Digest-Alg", "HMAC_SHA256_HEX") }, 0},
		{"sumsub", "algorithm twice", "duplicate_header", func(h http.Header) { h.Add("X-Payload-Digest-Alg", "HMAC_SHA512_HEX") }, 0},
		{"didit", "timestamp missing", "missing_timestamp", func(h http.Header) { h.Del("X-Timestamp") }, 0},
		{"didit", "timestamp in milliseconds", "malformed_timestamp", func(h http.Header) {
			h.Set("X-Timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
		}, 0},
		{"didit", "timestamp twice", "duplicate_header", func(h http.Header) { h.Add("X-Timestamp", h.Get("X-Timestamp")) }, 0},
		{"didit", "sent two minutes ago", "stale_signature", func(http.Header) {}, -2 * time.Minute},
		{"didit", "sent two minutes ahead", "signature_in_future", func(http.Header) {}, 2 * time.Minute},
		{"didit", "an old delivery with a fresh X-Timestamp and another key", "signature_mismatch", func(h http.Header) {
			h.Set("X-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			h.Set("X-Signature", strings.Repeat("ab", 32))
		}, -time.Hour},
	}
	for _, c := range own {
		r := routes[c.vendor]
		body := readFixture(t, r.vendor, fixtureNames(t, r.vendor)[0])
		h := signIDV(t, r, body, idvSecret, time.Now().Add(c.at))
		c.edit(h)
		res, answer := send(r.path, body, h)
		if res.StatusCode != 401 || answer != errorBody(c.code) {
			t.Errorf("%s/%s: %d %s, want 401 %s", c.vendor, c.name, res.StatusCode, answer, c.code)
		}
	}
	if got := up.take(); len(got) != 0 {
		t.Fatalf("the upstream received %d refused deliveries", len(got))
	}
}

// Veriff retries any answer but 200: an app's 202 or 204 reaches Veriff as
// 200; a 500 passes as it is, so Veriff retries.
func TestIDVVeriffAcknowledgesExactly200(t *testing.T) {
	up, send := startIDV(t)
	r := idvRoutesHMAC()[0]
	body := readFixture(t, "veriff", "decision_approved.json")
	for status, want := range map[int]int{http.StatusAccepted: 200, http.StatusNoContent: 200, http.StatusCreated: 200,
		http.StatusOK: 200, http.StatusInternalServerError: 500} {
		up.answer(status, "")
		res, answer := send(r.path, body, signIDV(t, r, body, idvSecret, time.Now()))
		if res.StatusCode != want {
			t.Errorf("app answered %d: Veriff got %d %q", status, res.StatusCode, answer)
		}
		up.take()
	}
}

// A Veriff decision sent again, even with other bytes around the same
// fields (another key order, other technical data), is the same event: a
// deduplicating route forwards it once. Another attempt of the same session
// is another event.
func TestIDVVeriffReplayDeduplicated(t *testing.T) {
	up, send := startIDV(t)
	r := idvRoute{vendor: "veriff", path: "/hooks/veriff-dedupe"}
	first := []byte(`{"status":"success","verification":{"id":"s-1","attemptId":"a-1","code":9001,"status":"approved","vendorData":"u"}}`)
	again := []byte(`{"verification":{"status":"approved","vendorData":"u","code":9001,"attemptId":"a-1","id":"s-1"},"technicalData":{"ip":"192.0.2.1"}}`)
	other := []byte(`{"status":"success","verification":{"id":"s-1","attemptId":"a-2","code":9001,"status":"approved","vendorData":"u"}}`)
	for i, c := range []struct {
		body      []byte
		forwarded int
	}{{first, 1}, {first, 0}, {again, 0}, {other, 1}} {
		res, answer := send(r.path, c.body, signIDV(t, r, c.body, idvSecret, time.Now()))
		mustStatus(t, res, answer, 200)
		if got := up.take(); len(got) != c.forwarded {
			t.Errorf("delivery %d: forwarded %d, want %d (%s)", i, len(got), c.forwarded, res.Header.Get("Biohook-Duplicate"))
		}
	}
}

// Didit signs a time, so a deduplicating route must remember events at
// least as long as max_skew: a shorter ttl does not load.
func TestIDVDiditDedupeCoversWindow(t *testing.T) {
	for ttl, ok := range map[string]bool{"4m": false, "5m": true} {
		cfg := "http://localhost:8080 {\n\tbiohook didit {\n\t\tsecret {env.DIDIT_WEBHOOK_SECRET}\n\t\tdedupe {\n\t\t\tttl " + ttl +
			"\n\t\t}\n\t}\n\trespond 200\n}\n"
		err := validateExample(t, "didit dedupe "+ttl, []byte(cfg))
		if (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "max_skew")) {
			t.Errorf("ttl %s with max_skew 5m: %v", ttl, err)
		}
	}
}
