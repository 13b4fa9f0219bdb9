package vendors

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// headerCase is a delivery, genuine or not, for VerifyHeaders to judge
// with its body held back.
type headerCase struct {
	name string
	v    Vendor
	d    *Delivery
	code string // what VerifyHeaders answers; "" lets it through
}

func headerCases(t *testing.T) []headerCase {
	t.Helper()
	now := time.Now()
	body := []byte(`{"id":"evt-1","type":"user.created","eventName":"ENROLL","data":{}}`)
	edit := func(d *Delivery, f func(http.Header)) *Delivery { f(d.Request.Header); return d }

	faceio := provisioned(t, &FACEIO{Secrets: []string{"faceio-webhook-token"}})
	faceioGood := func() *Delivery {
		d := jsonDelivery(body)
		d.Request.Header.Set("WWW-Authenticate", "Bearer faceio-webhook-token")
		return d
	}

	incode := testIncodeOAuth(t, time.Hour, "incode-client-secret")
	incode.Headers = StaticHeaders{"X-Incode-Key": {"incode-static-key-01"}}
	incode = provisioned(t, incode)
	token := accessToken(t, tokenRequest(t, incode, url.Values{"grant_type": {"client_credentials"}}, "incode-client", "incode-client-secret"))
	incodeGood := func() *Delivery {
		d := jsonDelivery(body)
		d.Request.Header.Set("X-Incode-Key", "incode-static-key-01")
		d.Request.Header.Set("Authorization", "Bearer "+token)
		return d
	}

	argos := provisioned(t, &ARGOS{Headers: StaticHeaders{"X-Argos-Token": {"argos-header-token-01"}}, PathTokens: []string{"tok-A1-0123456789"}})
	argosGood := func() *Delivery {
		d := argosRequest(body, "/hooks/argos/tok-A1-0123456789", "")
		d.Request.Header.Set("X-Argos-Token", "argos-header-token-01")
		return d
	}

	authenteq := testAuthenteq(t)
	form := []byte("--B\r\nContent-Disposition: form-data; name=result\r\n\r\n{}\r\n--B--")
	authenteqGood := func() *Delivery { return formDelivery("multipart/form-data; boundary=B", form) }

	entrust := provisioned(t, &Entrust{Secrets: []string{"entrust-webhook-token"}})
	entrustURL := "https://hooks.example.com/hooks/entrust"
	entrustAt := func(at time.Time) *Delivery { return signedEntrust(t, entrustURL, body, "entrust-webhook-token", at) }

	hm := provisioned(t, &HMAC{Header: "X-Sig", Prefix: "sha256=", Secrets: []string{"hmac-shared-secret-01"}})
	scheme, _ := verify.NewBodyHMAC("sha256", "hex", "sha256=")
	hmacGood := func() *Delivery {
		d := jsonDelivery(body)
		d.Request.Header.Set("X-Sig", scheme.Sign([]byte("hmac-shared-secret-01"), body))
		return d
	}

	sw := provisioned(t, &StandardWebhooks{Secrets: []string{swNewSecret}})
	swAt := func(at time.Time) *Delivery {
		return swDelivery(t, body, at, verify.SWSigner{Secrets: [][]byte{mustSWSecret(t, swNewSecret)}})
	}

	return []headerCase{
		{"faceio", faceio, faceioGood(), ""},
		{"faceio no token", faceio, jsonDelivery(body), "missing_token"},
		{"faceio wrong token", faceio, edit(faceioGood(), func(h http.Header) { h.Set("WWW-Authenticate", "Bearer nope") }), "token_mismatch"},
		{"faceio two tokens", faceio, edit(faceioGood(), func(h http.Header) { h.Add("WWW-Authenticate", "Bearer faceio-webhook-token") }), "duplicate_header"},

		{"incode", incode, incodeGood(), ""},
		{"incode no static header", incode, edit(incodeGood(), func(h http.Header) { h.Del("X-Incode-Key") }), "missing_header"},
		{"incode wrong static header", incode, edit(incodeGood(), func(h http.Header) { h.Set("X-Incode-Key", "x") }), "header_mismatch"},
		{"incode no bearer", incode, edit(incodeGood(), func(h http.Header) { h.Del("Authorization") }), "missing_token"},
		{"incode forged bearer", incode, edit(incodeGood(), func(h http.Header) { h.Set("Authorization", "Bearer "+token+"x") }), "invalid_token"},

		{"argos", argos, argosGood(), ""},
		{"argos wrong path token", argos, argosRequest(body, "/hooks/argos/tok-B2-0123456789", ""), "path_token_mismatch"},
		{"argos no header", argos, edit(argosGood(), func(h http.Header) { h.Del("X-Argos-Token") }), "missing_header"},

		{"authenteq", authenteq, authenteqGood(), ""},
		{"authenteq no client id", authenteq, edit(authenteqGood(), func(h http.Header) { h.Del("X-Client-Id") }), "missing_client_id"},
		{"authenteq other client id", authenteq, edit(authenteqGood(), func(h http.Header) { h.Set("X-Client-Id", "x") }), "client_id_mismatch"},
		{"authenteq no signature", authenteq, edit(authenteqGood(), func(h http.Header) { h.Del("X-Signature") }), "missing_signature"},
		{"authenteq signature not hex", authenteq, edit(authenteqGood(), func(h http.Header) { h.Set("X-Signature", strings.Repeat("zz", 32)) }), "malformed_signature"},
		{"authenteq signature short", authenteq, edit(authenteqGood(), func(h http.Header) { h.Set("X-Signature", "abcd") }), "malformed_signature"},
		{"authenteq two signatures", authenteq, edit(authenteqGood(), func(h http.Header) { h.Add("X-Signature", strings.Repeat("ab", 32)) }), "duplicate_header"},

		{"entrust", entrust, entrustAt(now), ""},
		{"entrust no digest", entrust, edit(entrustAt(now), func(h http.Header) { h.Del("Content-Digest") }), "missing_digest"},
		{"entrust no signature", entrust, edit(entrustAt(now), func(h http.Header) { h.Del("Signature") }), "missing_signature"},
		{"entrust no signature input", entrust, edit(entrustAt(now), func(h http.Header) { h.Del("Signature-Input") }), "missing_signature"},
		{"entrust two signatures", entrust, edit(entrustAt(now), func(h http.Header) { h.Add("Signature", h.Get("Signature")) }), "duplicate_header"},
		{"entrust created 6m ago", entrust, entrustAt(now.Add(-6 * time.Minute)), "stale_signature"},
		{"entrust created 6m ahead", entrust, entrustAt(now.Add(6 * time.Minute)), "signature_in_future"},
		{"entrust expired", entrust, edit(entrustAt(now), func(h http.Header) {
			h.Set("Signature-Input", h.Get("Signature-Input")+";expires="+strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
		}), "stale_signature"},

		{"hmac", hm, hmacGood(), ""},
		{"hmac no signature", hm, jsonDelivery(body), "missing_signature"},
		{"hmac no prefix", hm, edit(hmacGood(), func(h http.Header) { h.Set("X-Sig", strings.TrimPrefix(h.Get("X-Sig"), "sha256=")) }), "malformed_signature"},
		{"hmac not hex", hm, edit(hmacGood(), func(h http.Header) { h.Set("X-Sig", "sha256=xyz") }), "malformed_signature"},

		{"standard webhooks", sw, swAt(now), ""},
		{"standard webhooks no id", sw, edit(swAt(now), func(h http.Header) { h.Del("Webhook-Id") }), "missing_signature"},
		{"standard webhooks 6m old", sw, swAt(now.Add(-6 * time.Minute)), "stale_signature"},
		{"standard webhooks 6m ahead", sw, swAt(now.Add(6 * time.Minute)), "signature_in_future"},
		{"standard webhooks no v1", sw, edit(swAt(now), func(h http.Header) { h.Set("Webhook-Signature", "v2,abc") }), "unsupported_signature"},
		{"standard webhooks timestamp not a number", sw, edit(swAt(now), func(h http.Header) { h.Set("Webhook-Timestamp", "soon") }), "malformed_signature"},
	}
}

// Each vendor whose credentials travel in headers refuses, without the
// body, a request whose headers cannot be genuine, and lets a genuine one
// through to Verify, which then passes without proving the headers again.
// Verify alone, as a caller that skips VerifyHeaders uses it, still refuses
// all the same with the same reason.
func TestVerifyHeadersBeforeTheBody(t *testing.T) {
	for _, c := range headerCases(t) {
		t.Run(c.name, func(t *testing.T) {
			hv, ok := c.v.(HeaderVerifier)
			if !ok {
				t.Fatalf("%T is no HeaderVerifier", c.v)
			}
			body := c.d.Body
			alone := &Delivery{Request: c.d.Request, Body: body, Received: c.d.Received}
			c.d.Body = nil
			assertCode(t, hv.VerifyHeaders(c.d), c.code)
			if c.code == "" {
				c.d.Body = body
				assertCode(t, c.v.Verify(c.d), "")
			}
			assertCode(t, c.v.Verify(alone), c.code)
		})
	}
}

// What VerifyHeaders proved is not proved again: after it, Verify does
// only what needs the body. Incode's bearer token, a signed JWT, is the
// costly one.
func TestVerifyAfterVerifyHeadersSkipsTheHeaders(t *testing.T) {
	for _, c := range headerCases(t) {
		if c.name != "incode" {
			continue
		}
		hv := c.v.(HeaderVerifier)
		assertCode(t, hv.VerifyHeaders(c.d), "")
		proved := c.d.Scratch
		allocs := testing.AllocsPerRun(100, func() {
			c.d.Scratch = proved
			if err := c.v.Verify(c.d); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("Verify after VerifyHeaders allocated %v times: it checked the token again", allocs)
		}
		c.d.Scratch = nil
		allocs = testing.AllocsPerRun(10, func() {
			c.d.Scratch = nil
			if err := c.v.Verify(c.d); err != nil {
				t.Fatal(err)
			}
		})
		if allocs == 0 {
			t.Fatal("Verify alone allocated nothing: it did not check the token")
		}
	}
}

// FuzzAuthenteqIsHexDigest holds the pre-body check of X-SIGNATURE to the
// decoding Verify does after it: neither lets through what the other
// refuses.
func FuzzAuthenteqIsHexDigest(f *testing.F) {
	for _, s := range []string{strings.Repeat("ab", 32), strings.Repeat("AB", 32), " " + strings.Repeat("0f", 32) + " ",
		strings.Repeat("ab", 31), strings.Repeat("gg", 32), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var dst [32]byte
		decoded := verify.DecodeHexDigest(s, &dst)
		if got := authenteqIsHexDigest(s); got != decoded {
			t.Fatalf("%q: the check says %v, decoding says %v", s, got, decoded)
		}
		if decoded {
			if _, err := hex.DecodeString(strings.TrimSpace(s)); err != nil {
				t.Fatalf("%q: decoded, but not hex: %v", s, err)
			}
		}
	})
}
