package vendors

import (
	"crypto/ed25519"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// Test keys, as Standard Webhooks serialises them.
var (
	swOldSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("old-secret-of-24-bytes-or-more"))
	swNewSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("new-secret-of-24-bytes-or-more"))
	swSeed      = []byte("TESTSIGNINGKEYDONOTUSETHISFORANY")
	swPrivate   = ed25519.NewKeyFromSeed(swSeed)
	swPublic    = "whpk_" + base64.StdEncoding.EncodeToString(swPrivate.Public().(ed25519.PublicKey))
)

func swMapping() *Mapping {
	return &Mapping{
		Time: "/timestamp", Subject: "/data/user_id", Outcome: "/data/status",
		Outcomes: map[string]Outcome{"approved": OutcomeApproved, "declined": OutcomeRejected},
		Kind:     KindVerification,
		Kinds:    map[string]Kind{"user.deleted": KindDeletion, "session.started": KindOther},
	}
}

func init() {
	goldenVendors["standard_webhooks"] = func(t testing.TB) Vendor {
		return provisioned(t, &StandardWebhooks{Secrets: []string{swNewSecret}, Mapping: swMapping()})
	}
}

func swDelivery(t testing.TB, body []byte, at time.Time, signer verify.SWSigner) *Delivery {
	t.Helper()
	h := signer.Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, body)
	d := jsonDelivery(body)
	d.Request.Header.Set("webhook-id", h.ID)
	d.Request.Header.Set("webhook-timestamp", h.Timestamp)
	d.Request.Header.Set("webhook-signature", h.Signature)
	return d
}

func mustSWSecret(t testing.TB, s string) []byte {
	t.Helper()
	k, err := verify.ParseSWSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Signed by verify's sender side, checked by the vendor: v1 with either
// secret of a rotation, v1a with the public key, several signatures in one
// header, and each way a delivery fails.
func TestStandardWebhooksVerify(t *testing.T) {
	s := provisioned(t, &StandardWebhooks{Secrets: []string{swOldSecret, swNewSecret}, PublicKeys: []string{swPublic}})
	body := []byte(`{"type":"user.created","data":{}}`)
	now := time.Now()
	oldKey, newKey := mustSWSecret(t, swOldSecret), mustSWSecret(t, swNewSecret)
	other := mustSWSecret(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another-secret-24-bytes-long")))
	_, strangerKey, _ := ed25519.GenerateKey(nil)
	cases := []struct {
		name   string
		signer verify.SWSigner
		at     time.Time
		mutate func(d *Delivery)
		code   string
	}{
		{"v1 new secret", verify.SWSigner{Secrets: [][]byte{newKey}}, now, nil, ""},
		{"v1 old secret", verify.SWSigner{Secrets: [][]byte{oldKey}}, now, nil, ""},
		{"v1a", verify.SWSigner{PrivateKeys: []ed25519.PrivateKey{swPrivate}}, now, nil, ""},
		{"rotation: unknown then known", verify.SWSigner{Secrets: [][]byte{other, newKey}}, now, nil, ""},
		{"4m old", verify.SWSigner{Secrets: [][]byte{newKey}}, now.Add(-4 * time.Minute), nil, ""},
		{"6m old", verify.SWSigner{Secrets: [][]byte{newKey}}, now.Add(-6 * time.Minute), nil, "stale_signature"},
		{"6m ahead", verify.SWSigner{Secrets: [][]byte{newKey}}, now.Add(6 * time.Minute), nil, "signature_in_future"},
		{"unknown secret", verify.SWSigner{Secrets: [][]byte{other}}, now, nil, "signature_mismatch"},
		{"unknown ed25519 key", verify.SWSigner{PrivateKeys: []ed25519.PrivateKey{strangerKey}}, now, nil, "signature_mismatch"},
		{"tampered body", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Body = []byte(`{"type":"user.deleted","data":{}}`) }, "signature_mismatch"},
		{"other id", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Request.Header.Set("webhook-id", "msg_other") }, "signature_mismatch"},
		{"other timestamp", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) {
			ts, _ := strconv.ParseInt(d.Request.Header.Get("webhook-timestamp"), 10, 64)
			d.Request.Header.Set("webhook-timestamp", strconv.FormatInt(ts+1, 10))
		}, "signature_mismatch"},
		{"no id", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Request.Header.Del("webhook-id") }, "missing_signature"},
		{"no signature", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Request.Header.Del("webhook-signature") }, "missing_signature"},
		{"two signature headers", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) {
			d.Request.Header.Add("webhook-signature", "v1,AAAA")
		}, "duplicate_header"},
		{"only unknown versions", verify.SWSigner{}, now, func(d *Delivery) { d.Request.Header.Set("webhook-signature", "v2,AAAA v9,BBBB") }, "unsupported_signature"},
		{"v1 not base64", verify.SWSigner{}, now, func(d *Delivery) { d.Request.Header.Set("webhook-signature", "v1,!!!") }, "malformed_signature"},
		{"timestamp not a number", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Request.Header.Set("webhook-timestamp", "12a") }, "malformed_signature"},
		{"id with a full stop", verify.SWSigner{Secrets: [][]byte{newKey}}, now, func(d *Delivery) { d.Request.Header.Set("webhook-id", "a.b") }, "malformed_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := swDelivery(t, body, c.at, c.signer)
			if c.mutate != nil {
				c.mutate(d)
			}
			assertCode(t, s.Verify(d), c.code)
		})
	}
}

// A route that has only a public key does not accept an HMAC signed with
// that key's bytes, nor anything else.
func TestStandardWebhooksPublicKeyOnly(t *testing.T) {
	s := provisioned(t, &StandardWebhooks{PublicKeys: []string{swPublic}})
	body := []byte(`{"type":"x"}`)
	pub := []byte(swPrivate.Public().(ed25519.PublicKey))
	assertCode(t, s.Verify(swDelivery(t, body, time.Now(), verify.SWSigner{Secrets: [][]byte{pub}})), "signature_mismatch")
	assertCode(t, s.Verify(swDelivery(t, body, time.Now(), verify.SWSigner{PrivateKeys: []ed25519.PrivateKey{swPrivate}})), "")
}

func TestStandardWebhooksProvisionRefuses(t *testing.T) {
	for name, s := range map[string]*StandardWebhooks{
		"nothing":           {},
		"secret too short":  {Secrets: []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))}},
		"secret not base64": {Secrets: []string{"whsec_not base64!"}},
		"public key size":   {PublicKeys: []string{"whpk_" + base64.StdEncoding.EncodeToString([]byte("short"))}},
		"empty env":         {Secrets: []string{"{env.BIOHOOK_TEST_UNSET_SW}"}},
	} {
		if err := s.Provision(testContext(t)); err == nil {
			t.Errorf("%s: provisioned", name)
		}
	}
}

// The event takes its id from webhook-id and its time from
// webhook-timestamp; the event name is /type by default.
func TestStandardWebhooksNormalize(t *testing.T) {
	s := provisioned(t, &StandardWebhooks{Secrets: []string{swNewSecret}})
	body := []byte(`{"type":"user.created","data":{"id":"u1"}}`)
	d := swDelivery(t, body, time.Unix(1795000000, 0), verify.SWSigner{Secrets: [][]byte{mustSWSecret(t, swNewSecret)}})
	ev, err := s.Normalize(d)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" || ev.Time != "2026-11-18T11:06:40Z" || ev.Data.VendorEvent != "user.created" ||
		ev.Data.Kind != KindOther || ev.Data.Outcome != OutcomeNone || ev.Source != "urn:biohook:standard_webhooks" {
		t.Fatalf("got %+v", ev)
	}
	if got := s.CredentialHeaders(); strings.Join(got, ",") != "Webhook-Signature" {
		t.Fatalf("credential headers %v", got)
	}
}
