package vendors

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	goldenVendors["entrust"] = func(t testing.TB) Vendor { return provisioned(t, &Entrust{Secrets: []string{"entrust-webhook-token"}}) }
}

// signedEntrust builds a delivery to url signed as IDaaS signs it.
func signedEntrust(t testing.TB, url string, body []byte, key string, created time.Time) *Delivery {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", verify.ContentDigest("sha-256", body))
	signer := verify.HMACSigner{
		Label:      "sig",
		Components: []string{"@method", "@target-uri", "content-digest"},
		Key:        []byte(key),
		Created:    created,
	}
	in, sig, err := signer.Sign(verify.Message{Method: r.Method, TargetURI: url, Header: r.Header})
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Signature-Input", in)
	r.Header.Set("Signature", sig)
	return &Delivery{Request: r, Body: body, Received: time.Now()}
}

func TestEntrustVerify(t *testing.T) {
	e := provisioned(t, &Entrust{Secrets: []string{"entrust-old-token-01", "entrust-new-token-01"}})
	url := "https://hooks.example.com/hooks/entrust?x=1"
	body := []byte(`{"id":"1","type":"user.created","data":{}}`)
	now := time.Now()
	cases := []struct {
		name   string
		mutate func(d *Delivery)
		key    string
		code   string
	}{
		{"valid", nil, "entrust-new-token-01", ""},
		{"valid with the old key", nil, "entrust-old-token-01", ""},
		{"wrong key", nil, "entrust-other-token-01", "signature_mismatch"},
		{"tampered body", func(d *Delivery) { d.Body = bytes.Replace(d.Body, []byte("1"), []byte("2"), 1) }, "entrust-new-token-01", "digest_mismatch"},
		{"no digest", func(d *Delivery) { d.Request.Header.Del("Content-Digest") }, "entrust-new-token-01", "missing_digest"},
		{"digest re-made for a tampered body", func(d *Delivery) {
			d.Body = []byte(`{"id":"2","type":"user.created","data":{}}`)
			d.Request.Header.Set("Content-Digest", verify.ContentDigest("sha-256", d.Body))
		}, "entrust-new-token-01", "signature_mismatch"},
		{"sha-512 digest re-made", func(d *Delivery) {
			d.Request.Header.Set("Content-Digest", verify.ContentDigest("sha-512", d.Body))
		}, "entrust-new-token-01", "signature_mismatch"},
		{"unsupported digest only", func(d *Delivery) { d.Request.Header.Set("Content-Digest", "md5=:AAAA:") }, "entrust-new-token-01", "unsupported_digest"},
		{"malformed digest", func(d *Delivery) { d.Request.Header.Set("Content-Digest", "sha-256=abc") }, "entrust-new-token-01", "malformed_digest"},
		{"two digests", func(d *Delivery) { d.Request.Header.Add("Content-Digest", d.Request.Header.Get("Content-Digest")) }, "entrust-new-token-01", "duplicate_header"},
		{"no signature", func(d *Delivery) { d.Request.Header.Del("Signature") }, "entrust-new-token-01", "missing_signature"},
		{"other label", func(d *Delivery) {
			d.Request.Header.Set("Signature", "sig2"+d.Request.Header.Get("Signature")[3:])
		}, "entrust-new-token-01", "missing_signature"},
		{"other method", func(d *Delivery) { d.Request.Method = http.MethodPut }, "entrust-new-token-01", "signature_mismatch"},
		{"other path", func(d *Delivery) { d.Request.RequestURI = "/hooks/other?x=1" }, "entrust-new-token-01", "signature_mismatch"},
		{"other host", func(d *Delivery) { d.Request.Host = "evil.example.com" }, "entrust-new-token-01", "signature_mismatch"},
		{"malformed input", func(d *Delivery) { d.Request.Header.Set("Signature-Input", "sig=(") }, "entrust-new-token-01", "malformed_signature"},
		{"profile not covered", func(d *Delivery) {
			d.Request.Header.Set("Signature-Input", `sig=("@method" "content-digest");alg="hmac-sha256"`)
		}, "entrust-new-token-01", "unsupported_signature"},
		{"other algorithm", func(d *Delivery) {
			d.Request.Header.Set("Signature-Input", `sig=("@method" "@target-uri" "content-digest");alg="ed25519"`)
		}, "entrust-new-token-01", "unsupported_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := signedEntrust(t, url, body, c.key, now)
			d.Request.RequestURI = "/hooks/entrust?x=1"
			if c.mutate != nil {
				c.mutate(d)
			}
			assertCode(t, e.Verify(d), c.code)
		})
	}
}

func TestEntrustTimeWindow(t *testing.T) {
	e := provisioned(t, &Entrust{Secrets: []string{"entrust-webhook-token"}, PublicURL: "https://hooks.example.com/hooks/entrust"})
	body := []byte(`{"id":"1","type":"user.created","data":{}}`)
	url := "https://hooks.example.com/hooks/entrust"
	for _, c := range []struct {
		name    string
		created time.Time
		code    string
	}{
		{"now", time.Now(), ""},
		{"4m old", time.Now().Add(-4 * time.Minute), ""},
		{"6m old", time.Now().Add(-6 * time.Minute), "stale_signature"},
		{"6m ahead", time.Now().Add(6 * time.Minute), "signature_in_future"},
		{"no created", time.Time{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			assertCode(t, e.Verify(signedEntrust(t, url, body, "entrust-webhook-token", c.created)), c.code)
		})
	}
}

func TestEntrustPublicURLExact(t *testing.T) {
	e := provisioned(t, &Entrust{Secrets: []string{"entrust-webhook-token"}, PublicURL: "https://public.example.com/in/entrust"})
	body := []byte(`{"id":"1","type":"user.created","data":{}}`)
	d := signedEntrust(t, "https://public.example.com/in/entrust", body, "entrust-webhook-token", time.Now())
	d.Request.Host, d.Request.RequestURI = "10.0.0.5:8080", "/hooks/entrust" // as an inner proxy sees it
	assertCode(t, e.Verify(d), "")
}

// require_created refuses a signature without created; the lenient route
// takes it. The head is judged before the body is read: ParseHeaders checks
// require_created and the time window before the MAC, so a forged
// signature without created is refused as missing_created on a strict
// route, without its MAC being computed, and as signature_mismatch on a
// lenient one.
func TestEntrustRequireCreatedVerify(t *testing.T) {
	url := "https://hooks.example.com/hooks/entrust"
	body := []byte(`{"id":"1","type":"user.created","data":{}}`)
	strict := provisioned(t, &Entrust{Secrets: []string{"entrust-token-0123456789"}, PublicURL: url, RequireCreated: true})
	lenient := provisioned(t, &Entrust{Secrets: []string{"entrust-token-0123456789"}, PublicURL: url})
	assertCode(t, strict.Verify(signedEntrust(t, url, body, "entrust-token-0123456789", time.Time{})), "missing_created")
	assertCode(t, strict.Verify(signedEntrust(t, url, body, "entrust-token-0123456789", time.Now())), "")
	assertCode(t, strict.Verify(signedEntrust(t, url, body, "another-token-0123456789", time.Time{})), "missing_created")
	assertCode(t, strict.Verify(signedEntrust(t, url, body, "another-token-0123456789", time.Now())), "signature_mismatch")
	assertCode(t, lenient.Verify(signedEntrust(t, url, body, "entrust-token-0123456789", time.Time{})), "")
	assertCode(t, lenient.Verify(signedEntrust(t, url, body, "another-token-0123456789", time.Time{})), "signature_mismatch")
}
