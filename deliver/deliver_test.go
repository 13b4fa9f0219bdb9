package deliver_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/deliver"
	"github.com/biohook/caddy-biohook/vendors"
)

const url = "https://hooks.example.com/hooks/x?y=1"

var payload = []byte(`{"id":"1","type":"user.created","eventName":"AUTH","data":{}}`)

func provision(t *testing.T, v vendors.Vendor) vendors.Vendor {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := v.(caddy.Provisioner).Provision(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

// received turns a built delivery into what the handler would see.
func received(t *testing.T, d *deliver.Delivery) *vendors.Delivery {
	t.Helper()
	r := httptest.NewRequest(d.Method, d.URL, bytes.NewReader(d.Body))
	for k, v := range d.Header {
		r.Header[k] = v
	}
	return &vendors.Delivery{Request: r, Body: d.Body, Received: time.Now()}
}

func build(t *testing.T, o deliver.Options) *deliver.Delivery {
	t.Helper()
	o.URL, o.Payload = url, payload
	d, err := deliver.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// check verifies and normalises d with v, or expects the refusal code.
func check(t *testing.T, v vendors.Vendor, d *deliver.Delivery, code string) {
	t.Helper()
	rd := received(t, d)
	err := v.Verify(rd)
	if code != "" {
		if rej := vendors.AsRejection(err); err == nil || rej.Code != code {
			t.Fatalf("want %s, got %v", code, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := v.Normalize(rd); err != nil {
		t.Fatalf("normalize: %v", err)
	}
}

// Each vendor's deliveries, built here, verify with the vendor module,
// with either secret of a rotation; a key the route does not hold fails.
func TestBuiltDeliveriesVerify(t *testing.T) {
	for _, key := range []string{"deliver-old-secret-01", "deliver-new-secret-01"} {
		faceio := provision(t, &vendors.FACEIO{Secrets: []string{"deliver-old-secret-01", "deliver-new-secret-01"}})
		check(t, faceio, build(t, deliver.Options{Vendor: "faceio", Secrets: []string{key}}), "")
		entrust := provision(t, &vendors.Entrust{Secrets: []string{"deliver-old-secret-01", "deliver-new-secret-01"}, PublicURL: url})
		check(t, entrust, build(t, deliver.Options{Vendor: "entrust", Secrets: []string{key}}), "")
		check(t, entrust, build(t, deliver.Options{Vendor: "entrust", Secrets: []string{key}, Settings: map[string]string{"digest": "sha-512"}}), "")
	}
	faceio := provision(t, &vendors.FACEIO{Secrets: []string{"deliver-secret-0123"}})
	check(t, faceio, build(t, deliver.Options{Vendor: "faceio", Secrets: []string{"deliver-other-secret"}}), "token_mismatch")
	entrust := provision(t, &vendors.Entrust{Secrets: []string{"deliver-secret-0123"}, PublicURL: url})
	check(t, entrust, build(t, deliver.Options{Vendor: "entrust", Secrets: []string{"deliver-other-secret"}}), "signature_mismatch")
	check(t, entrust, build(t, deliver.Options{Vendor: "entrust", Secrets: []string{"deliver-secret-0123"}, Now: time.Now().Add(-time.Hour)}), "stale_signature")
}

func TestBuiltHMACVerifies(t *testing.T) {
	for _, alg := range []string{"sha256", "sha512", "sha1"} {
		for _, enc := range []string{"hex", "base64", "base64url"} {
			for _, prefix := range []string{"", "v1="} {
				settings := map[string]string{"header": "X-Sig", "algorithm": alg, "encoding": enc, "prefix": prefix}
				v := provision(t, &vendors.HMAC{Header: "X-Sig", Algorithm: alg, Encoding: enc, Prefix: prefix, Secrets: []string{"deliver-hmac-key-a-01", "deliver-hmac-key-b-01"}})
				check(t, v, build(t, deliver.Options{Vendor: "hmac", Secrets: []string{"deliver-hmac-key-b-01"}, Settings: settings}), "")
				check(t, v, build(t, deliver.Options{Vendor: "hmac", Secrets: []string{"deliver-hmac-key-c-01"}, Settings: settings}), "signature_mismatch")
			}
		}
	}
}

func TestBuiltStandardWebhooksVerifies(t *testing.T) {
	whsec := func(s string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(s)) }
	oldKey, newKey, other := whsec("old-secret-24-bytes-long!"), whsec("new-secret-24-bytes-long!"), whsec("some-other-secret-24-byte")
	seed := []byte("deliver-test-ed25519-seed-32byte")
	whsk := "whsk_" + base64.StdEncoding.EncodeToString(seed)
	whpk := "whpk_" + base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	v := provision(t, &vendors.StandardWebhooks{Secrets: []string{newKey}, PublicKeys: []string{whpk}})
	check(t, v, build(t, deliver.Options{Vendor: "standard_webhooks", Secrets: []string{newKey}}), "")
	check(t, v, build(t, deliver.Options{Vendor: "standard_webhooks", Secrets: []string{oldKey, newKey}}), "")
	check(t, v, build(t, deliver.Options{Vendor: "standard_webhooks", Settings: map[string]string{"private_key": whsk}}), "")
	check(t, v, build(t, deliver.Options{Vendor: "standard_webhooks", Secrets: []string{other}}), "signature_mismatch")
	check(t, v, build(t, deliver.Options{Vendor: "standard_webhooks", Secrets: []string{newKey}, Now: time.Now().Add(10 * time.Minute)}), "signature_in_future")
	d := build(t, deliver.Options{Vendor: "standard_webhooks", Secrets: []string{newKey}, ID: "msg_fixed"})
	if d.Header.Get("webhook-id") != "msg_fixed" {
		t.Fatalf("id %q", d.Header.Get("webhook-id"))
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, o := range map[string]deliver.Options{
		"unknown vendor": {Vendor: "nope", URL: url},
		"no secret":      {Vendor: "faceio", URL: url},
		"no URL":         {Vendor: "faceio", Secrets: []string{"deliver-secret-0123"}},
		"hmac no header": {Vendor: "hmac", URL: url, Secrets: []string{"deliver-secret-0123"}},
		"hmac bad alg":   {Vendor: "hmac", URL: url, Secrets: []string{"deliver-secret-0123"}, Settings: map[string]string{"header": "X", "algorithm": "md5"}},
		"sw not a whsec": {Vendor: "standard_webhooks", URL: url, Secrets: []string{"plain"}},
		"sw nothing":     {Vendor: "standard_webhooks", URL: url},
		"sw bad whsk":    {Vendor: "standard_webhooks", URL: url, Settings: map[string]string{"private_key": "whsk_AAAA"}},
	} {
		if _, err := deliver.Build(o); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// WriteRaw writes what http.ReadRequest reads back, body included.
func TestWriteRaw(t *testing.T) {
	d := build(t, deliver.Options{Vendor: "faceio", Secrets: []string{"deliver-secret-0123"}})
	var buf bytes.Buffer
	if err := d.WriteRaw(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(r.Body)
	if r.Host != "hooks.example.com" || r.RequestURI != "/hooks/x?y=1" || r.Header.Get("WWW-Authenticate") != "Bearer deliver-secret-0123" || !bytes.Equal(body.Bytes(), payload) {
		t.Fatalf("read back %v %v %q", r.Host, r.RequestURI, body)
	}
}

// Authenteq deliveries, multipart with images, verify under each digest
// construction and either secret of a rotation, and normalise with the
// images in the event.
func TestBuiltAuthenteqVerifies(t *testing.T) {
	result := []byte(`{"id":"7f3c2a1e-5b8d-4c9a-9e2f-1a6b3c4d5e6f","status":"PASSED"}`)
	for _, digest := range []string{"body_secret", "secret_body", "hmac"} {
		v := provision(t, &vendors.Authenteq{ClientID: "client-1", Secrets: []string{"authenteq-old-secret", "authenteq-new-secret"}, Digest: digest,
			InsecureLengthExtension: digest == vendors.AuthenteqDigestSecretBody})
		for _, key := range []string{"authenteq-old-secret", "authenteq-new-secret"} {
			d, err := deliver.Build(deliver.Options{Vendor: "authenteq", URL: url, Payload: result, ClientID: "client-1",
				Secrets: []string{key}, Settings: map[string]string{"digest": digest}})
			if err != nil {
				t.Fatal(err)
			}
			rd := received(t, d)
			if err := v.Verify(rd); err != nil {
				t.Fatalf("%s/%s: %v", digest, key, err)
			}
			ev, err := v.Normalize(rd)
			if err != nil || len(ev.Data.Images) != 2 || ev.ID == "" {
				t.Fatalf("%s: event %+v, %v", digest, ev, err)
			}
		}
		d, _ := deliver.Build(deliver.Options{Vendor: "authenteq", URL: url, Payload: result, ClientID: "client-2",
			Secrets: []string{"authenteq-new-secret"}, Settings: map[string]string{"digest": digest}})
		check(t, v, d, "client_id_mismatch")
	}
}

// ARGOS deliveries encrypted in every mode and encoding decrypt with the
// route's key, under either key of a rotation; a static header is sent.
func TestBuiltARGOSVerifies(t *testing.T) {
	plain := []byte(`{"webhook_trigger":"approved","submission_id":"s1","kyc_result":{"status":"approved"}}`)
	for _, mode := range []string{"ecb", "cbc", "gcm"} {
		for _, enc := range []string{"base64", "base64url", "hex"} {
			v := provision(t, &vendors.ARGOS{Secrets: []string{"argos-old-api-key-01", "argos-new-api-key-01"}, Mode: mode})
			d, err := deliver.Build(deliver.Options{Vendor: "argos", URL: url, Payload: plain, Secrets: []string{"argos-new-api-key-01"},
				Settings: map[string]string{"mode": mode, "encoding": enc}})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(d.Body, []byte("approved")) {
				t.Fatal("the payload went in clear")
			}
			check(t, v, d, "")
			d, _ = deliver.Build(deliver.Options{Vendor: "argos", URL: url, Payload: plain, Secrets: []string{"argos-another-api-key"},
				Settings: map[string]string{"mode": mode, "encoding": enc}})
			check(t, v, d, "decryption_failed")
		}
	}
	v := provision(t, &vendors.ARGOS{Headers: map[string][]string{"X-Argos-Token": {"argos-header-token-01"}}})
	d, err := deliver.Build(deliver.Options{Vendor: "argos", URL: url, Payload: plain, Settings: map[string]string{"header": "X-Argos-Token: argos-header-token-01"}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, v, d, "")
}

// Incode deliveries: a token fetched from a real token endpoint served by
// the vendor's own code, or a static header.
func TestBuiltIncodeVerifies(t *testing.T) {
	v := provision(t, &vendors.Incode{OAuth: &vendors.IncodeOAuth{ClientID: "client 1", Secrets: []string{"s&cret-incode-client-01"}, TokenPath: "/token"}}).(*vendors.Incode)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handled, err := v.ServeEndpoint(w, r); !handled || err != nil {
			http.Error(w, "not the token endpoint", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	d, err := deliver.Build(deliver.Options{Vendor: "incode", URL: srv.URL + "/hooks/incode", Payload: payload,
		ClientID: "client 1", Secrets: []string{"s&cret-incode-client-01"}, Settings: map[string]string{"token_path": "/token"}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, v, d, "")
	if _, err := deliver.Build(deliver.Options{Vendor: "incode", URL: srv.URL + "/hooks/incode", Payload: payload,
		ClientID: "client 1", Secrets: []string{"wrong-incode-secret-01"}, Settings: map[string]string{"token_path": "/token"}}); err == nil {
		t.Fatal("a wrong secret got a token")
	}
	hv := provision(t, &vendors.Incode{Headers: vendors.StaticHeaders{"X-Incode-Key": {"incode-header-key-0123"}}})
	check(t, hv, build(t, deliver.Options{Vendor: "incode", Settings: map[string]string{"header": "X-Incode-Key: incode-header-key-0123"}}), "")
	check(t, hv, build(t, deliver.Options{Vendor: "incode", Settings: map[string]string{"header": "X-Incode-Key: incode-header-key-wrong"}}), "header_mismatch")
}

// Stripe and Persona deliveries, built here, verify with the vendor
// modules: one set with a v1 per secret (Stripe), one set per secret
// (Persona), either secret of a rotation; a key the route does not hold,
// or a time outside the window, fails.
func TestBuiltTimedHMACVerifies(t *testing.T) {
	const oldKey, newKey, other = "whsec_deliver_old_secret_01", "whsec_deliver_new_secret_02", "whsec_deliver_other_secret_3"
	for _, vendor := range []string{"stripe", "persona"} {
		var v vendors.Vendor = &vendors.Stripe{Secrets: []string{newKey}}
		header := "Stripe-Signature"
		if vendor == "persona" {
			v, header = &vendors.Persona{Secrets: []string{newKey}}, "Persona-Signature"
		}
		provision(t, v)
		check(t, v, buildIDV(t, deliver.Options{Vendor: vendor, Secrets: []string{newKey}}), "")
		two := buildIDV(t, deliver.Options{Vendor: vendor, Secrets: []string{oldKey, newKey}})
		check(t, v, two, "")
		if sets := strings.Fields(two.Header.Get(header)); (vendor == "persona") != (len(sets) == 2) {
			t.Errorf("%s: %d sets for two secrets", vendor, len(sets))
		}
		check(t, v, buildIDV(t, deliver.Options{Vendor: vendor, Secrets: []string{other}}), "signature_mismatch")
		check(t, v, buildIDV(t, deliver.Options{Vendor: vendor, Secrets: []string{newKey}, Now: time.Now().Add(-10 * time.Minute)}), "stale_signature")
		check(t, v, buildIDV(t, deliver.Options{Vendor: vendor, Secrets: []string{newKey}, Now: time.Now().Add(10 * time.Minute)}), "signature_in_future")
	}
}

func TestBuiltShuftiVerifies(t *testing.T) {
	const key = "deliver-shufti-secret-key-01"
	for _, digest := range []string{"hashed_secret", "legacy"} {
		v := provision(t, &vendors.Shufti{Secrets: []string{"deliver-shufti-old-secret-0", key}, Digest: digest})
		check(t, v, buildIDV(t, deliver.Options{Vendor: "shufti", Secrets: []string{key}, Settings: map[string]string{"digest": digest}}), "")
		check(t, v, buildIDV(t, deliver.Options{Vendor: "shufti", Secrets: []string{"wrong-shufti-secret-key-00"}, Settings: map[string]string{"digest": digest}}), "signature_mismatch")
	}
	v := provision(t, &vendors.Shufti{Secrets: []string{key}})
	check(t, v, buildIDV(t, deliver.Options{Vendor: "shufti", Secrets: []string{key}, Settings: map[string]string{"digest": "legacy"}}), "signature_mismatch")
	if _, err := deliver.Build(deliver.Options{Vendor: "shufti", URL: url, Payload: idvPayload, Secrets: []string{key}, Settings: map[string]string{"digest": "hmac"}}); err == nil {
		t.Fatal("unknown digest built")
	}
}

// idvPayload is read as an event by Stripe (type), Persona
// (data.attributes.name) and Shufti (event).
var idvPayload = []byte(`{"id":"evt_1","type":"identity.verification_session.verified","event":"verification.accepted","data":{"attributes":{"name":"inquiry.approved"}}}`)

func buildIDV(t *testing.T, o deliver.Options) *deliver.Delivery {
	t.Helper()
	o.URL, o.Payload = url, idvPayload
	d, err := deliver.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
