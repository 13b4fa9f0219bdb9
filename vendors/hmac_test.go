package vendors

import (
	"bytes"
	"testing"

	"github.com/biohook/caddy-biohook/verify"
)

// veriffMapping reads a Veriff-style decision payload.
func veriffMapping() *Mapping {
	return &Mapping{
		ID: "/verification/id", Time: "verification.decisionTime", Subject: "/verification/vendorData",
		Event: "/verification/status", Outcome: "/verification/status",
		Outcomes: map[string]Outcome{"approved": OutcomeApproved, "declined": OutcomeRejected, "resubmission_requested": OutcomePending},
		Kind:     KindVerification,
	}
}

func init() {
	goldenVendors["hmac"] = func(t testing.TB) Vendor {
		return provisioned(t, &HMAC{VendorName: "veriff", Header: "X-HMAC-Signature", Secrets: []string{"hmac-shared-secret-01"}, Mapping: veriffMapping()})
	}
}

// Every algorithm, encoding and prefix, signed by the sending side of
// verify and checked by the vendor, with both secrets of a rotation.
func TestHMACSignVerify(t *testing.T) {
	body := []byte(`{"status":"success"}`)
	for _, alg := range []string{"sha256", "sha512", "sha1"} {
		for _, enc := range []string{"hex", "base64", "base64url"} {
			for _, prefix := range []string{"", "sha256="} {
				h := provisioned(t, &HMAC{Header: "X-Sig", Algorithm: alg, Encoding: enc, Prefix: prefix, Secrets: []string{"hmac-old-secret-0123", "hmac-new-secret-0123"}})
				scheme, err := verify.NewBodyHMAC(alg, enc, prefix)
				if err != nil {
					t.Fatal(err)
				}
				for _, key := range []string{"hmac-old-secret-0123", "hmac-new-secret-0123"} {
					d := jsonDelivery(body)
					d.Request.Header.Set("X-Sig", scheme.Sign([]byte(key), body))
					assertCode(t, h.Verify(d), "")
				}
				d := jsonDelivery(body)
				d.Request.Header.Set("X-Sig", scheme.Sign([]byte("hmac-other-secret-01"), body))
				assertCode(t, h.Verify(d), "signature_mismatch")
			}
		}
	}
}

func TestHMACRejects(t *testing.T) {
	h := provisioned(t, &HMAC{Header: "X-HMAC-Signature", Prefix: "sha256=", Secrets: []string{"hmac-shared-secret-01"}})
	scheme, _ := verify.NewBodyHMAC("sha256", "hex", "sha256=")
	body := []byte(`{"a":1}`)
	good := scheme.Sign([]byte("hmac-shared-secret-01"), body)
	cases := []struct {
		name   string
		header []string
		body   []byte
		code   string
	}{
		{"valid", []string{good}, body, ""},
		{"upper-case hex", []string{"sha256=" + string(bytes.ToUpper([]byte(good[7:])))}, body, ""},
		{"missing", nil, body, "missing_signature"},
		{"twice", []string{good, good}, body, "duplicate_header"},
		{"tampered body", []string{good}, []byte(`{"a":2}`), "signature_mismatch"},
		{"no prefix", []string{good[7:]}, body, "malformed_signature"},
		{"not hex", []string{"sha256=zz"}, body, "malformed_signature"},
		{"empty", []string{"sha256="}, body, "malformed_signature"},
		{"truncated", []string{good[:len(good)-2]}, body, "signature_mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery(c.body)
			for _, v := range c.header {
				d.Request.Header.Add("X-HMAC-Signature", v)
			}
			assertCode(t, h.Verify(d), c.code)
		})
	}
}

func TestHMACProvisionRefuses(t *testing.T) {
	for name, h := range map[string]*HMAC{
		"no secret":          {Header: "X-Sig"},
		"no header":          {Secrets: []string{"hmac-shared-secret-01"}},
		"unknown algorithm":  {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Algorithm: "md5"},
		"unknown encoding":   {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Encoding: "base32"},
		"bad mapping path":   {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Mapping: &Mapping{ID: "a..b"}},
		"bad outcome value":  {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Mapping: &Mapping{Outcome: "/s", Outcomes: map[string]Outcome{"ok": "fine"}}},
		"outcomes, no field": {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Mapping: &Mapping{Outcomes: map[string]Outcome{"ok": "approved"}}},
		"bad kind":           {Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Mapping: &Mapping{Kind: "login"}},
	} {
		if err := h.Provision(testContext(t)); err == nil {
			t.Errorf("%s: provisioned", name)
		}
	}
	h := &HMAC{VendorName: "Bad-Name", Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}}
	if err := h.Provision(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if h.Validate() == nil {
		t.Error("a vendor name outside [a-z0-9_] validated")
	}
}

// Without a mapping, an event has the derived id, kind other, outcome none
// and the payload in raw.
func TestHMACDefaults(t *testing.T) {
	h := provisioned(t, &HMAC{Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}})
	body := []byte(`{"verification":{"id":"v1","status":"approved"}}`)
	ev, err := h.Normalize(jsonDelivery(body))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != DerivedID("hmac", body) || ev.Data.Kind != KindOther || ev.Data.Outcome != OutcomeNone ||
		ev.Type != TypeVendorEvent || ev.Source != "urn:biohook:hmac" || !bytes.Equal(ev.Data.Raw, body) {
		t.Fatalf("defaults not applied: %+v", ev)
	}
	if _, err := h.Normalize(jsonDelivery([]byte(`{"a":1,"a":2}`))); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	assertCode(t, func() error { _, err := h.Normalize(jsonDelivery([]byte(`{"a":`))); return err }(), "invalid_json")
}

func TestHMACCredentialHeaders(t *testing.T) {
	h := provisioned(t, &HMAC{Header: "x-hmac-signature", Secrets: []string{"hmac-shared-secret-01"}})
	if got := h.CredentialHeaders(); len(got) != 1 || got[0] != "X-Hmac-Signature" {
		t.Fatalf("got %v", got)
	}
}
