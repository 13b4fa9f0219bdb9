package vendors

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// The secret keys the Shufti tests sign with.
const (
	shuftiTestSecret    = "shufti-secret-key-0123456789"
	shuftiTestSecretNew = "shufti-secret-key-rotated-987"
)

func init() {
	goldenVendors["shufti"] = func(t testing.TB) Vendor { return provisioned(t, &Shufti{Secrets: []string{shuftiTestSecret}}) }
}

// shuftiSign computes Signature the way Shufti documents it, written out
// here without verify: SHA-256 of the body and then the key.
func shuftiSign(body []byte, secret, digest string) string {
	key := secret
	if digest != ShuftiDigestLegacy {
		sum := sha256.Sum256([]byte(secret))
		key = hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(append(append([]byte{}, body...), key...))
	return hex.EncodeToString(sum[:])
}

func shuftiDelivery(body []byte, signature string) *Delivery {
	d := jsonDelivery(body)
	d.Request.Header.Set("Signature", signature)
	return d
}

// The self-derived vectors of the research notes: the secret's hex SHA-256
// appended (the default), or the secret itself (legacy).
func TestShuftiVectors(t *testing.T) {
	body := []byte(`{"reference":"ref-1","event":"verification.accepted"}`)
	const hashed = "6b830f84803176ea7e6f1e33fe72779718e13148983fc98a4e47502bbde50446"
	const legacy = "102e181342ddd0bc7dfd8e64e13bb682519ef85d729b993ee7b8ab66b23083ed"
	if shuftiSign(body, "shufti_secret", "") != hashed || shuftiSign(body, "shufti_secret", ShuftiDigestLegacy) != legacy {
		t.Fatal("the vectors do not recompute")
	}
	if verify.SignSuffixDigest(body, ShuftiDigestKey(ShuftiDigestHashedSecret, []byte("shufti_secret"))) != hashed {
		t.Fatal("ShuftiDigestKey")
	}
	// The verifier a route builds, keyed as each construction says.
	for digest, want := range map[string]string{ShuftiDigestHashedSecret: hashed, ShuftiDigestLegacy: legacy} {
		d, err := verify.NewSuffixDigest(verify.NewSecrets([][]byte{ShuftiDigestKey(digest, []byte("shufti_secret"))}))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Verify(want, body); err != nil {
			t.Fatalf("%s: %v", digest, err)
		}
	}
}

func TestShuftiVerify(t *testing.T) {
	body := []byte(`{"reference":"sp-1","event":"verification.accepted"}`)
	def := provisioned(t, &Shufti{Secrets: []string{shuftiTestSecret, shuftiTestSecretNew}})
	leg := provisioned(t, &Shufti{Secrets: []string{shuftiTestSecret}, Digest: ShuftiDigestLegacy})
	good := shuftiSign(body, shuftiTestSecret, "")
	cases := []struct {
		name   string
		v      *Shufti
		header []string
		body   []byte
		code   string
	}{
		{"default", def, []string{good}, body, ""},
		{"rotated secret", def, []string{shuftiSign(body, shuftiTestSecretNew, "")}, body, ""},
		{"upper-case hex", def, []string{strings.ToUpper(good)}, body, ""},
		{"legacy route, legacy digest", leg, []string{shuftiSign(body, shuftiTestSecret, ShuftiDigestLegacy)}, body, ""},
		{"legacy digest on a default route", def, []string{shuftiSign(body, shuftiTestSecret, ShuftiDigestLegacy)}, body, "signature_mismatch"},
		{"default digest on a legacy route", leg, []string{good}, body, "signature_mismatch"},
		{"unknown secret", def, []string{shuftiSign(body, "another-secret-key-00000", "")}, body, "signature_mismatch"},
		{"tampered body", def, []string{good}, []byte(`{"reference":"sp-1","event":"verification.declined"}`), "signature_mismatch"},
		{"body with bytes appended", def, []string{good}, append(append([]byte{}, body...), ' '), "signature_mismatch"},
		{"no header", def, nil, body, "missing_signature"},
		{"two headers", def, []string{good, good}, body, "duplicate_header"},
		{"not hex", def, []string{strings.Repeat("z", 64)}, body, "malformed_signature"},
		{"short", def, []string{good[:63]}, body, "malformed_signature"},
		{"prefixed", def, []string{"sha256=" + good}, body, "malformed_signature"},
		{"empty", def, []string{""}, body, "malformed_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery(c.body)
			for _, h := range c.header {
				d.Request.Header.Add("Signature", h)
			}
			assertCode(t, c.v.Verify(d), c.code)
		})
	}
}

func TestShuftiNormalize(t *testing.T) {
	s := provisioned(t, &Shufti{Secrets: []string{shuftiTestSecret}})
	yes, no := true, false
	cases := map[string]struct {
		typ     string
		kind    Kind
		outcome Outcome
		face    *bool
		reason  string
	}{
		"verification.accepted":       {TypeIdentityVerification, KindVerification, OutcomeApproved, &yes, ""},
		"verification.declined":       {TypeIdentityVerification, KindVerification, OutcomeRejected, &no, "Face could not be verified"},
		"verification.status.changed": {TypeIdentityVerification, KindVerification, OutcomePending, nil, ""},
		"request.pending":             {TypeIdentityVerification, KindVerification, OutcomePending, nil, ""},
		"request.received":            {TypeIdentityVerification, KindVerification, OutcomePending, nil, ""},
		"review.pending":              {TypeIdentityVerification, KindVerification, OutcomePending, nil, ""},
		"verification.cancelled":      {TypeIdentityVerification, KindVerification, OutcomeNone, nil, ""},
		"request.timeout":             {TypeIdentityVerification, KindVerification, OutcomeNone, nil, ""},
		"request.deleted":             {TypeIdentityDeletion, KindDeletion, OutcomeNone, nil, ""},
		"request.invalid":             {TypeVendorEvent, KindOther, OutcomeNone, nil, ""},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			d := fixture{"shufti", name, "../testdata/shufti/" + name + ".json"}.delivery(t)
			ev, err := s.Normalize(d)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != want.typ || ev.Data.Kind != want.kind || ev.Data.Outcome != want.outcome || ev.Data.VendorEvent != name {
				t.Fatalf("got %s %s %s", ev.Type, ev.Data.Kind, ev.Data.Outcome)
			}
			var face *bool
			if ev.Data.Signals != nil {
				face = ev.Data.Signals.FaceMatch
			}
			if (face == nil) != (want.face == nil) || (face != nil && *face != *want.face) {
				t.Fatalf("face_match %v", face)
			}
			if ev.Data.User == nil || !strings.HasPrefix(ev.Data.User.ExternalID, "sp-ref-") || ev.Subject != ev.Data.User.ExternalID {
				t.Fatalf("user %+v subject %q", ev.Data.User, ev.Subject)
			}
			if got := ""; ev.Data.Error != nil {
				got = ev.Data.Error.Message
				if got != want.reason {
					t.Fatalf("error %q", got)
				}
			} else if want.reason != "" {
				t.Fatal("no error")
			}
			if ev.ID != DerivedID("shufti", d.Body) || ev.Time != "" {
				t.Fatalf("id %q time %q", ev.ID, ev.Time)
			}
		})
	}
	for body, code := range map[string]string{
		`{"reference":"r"}`: "invalid_payload", `{"event":"a","x":[}`: "invalid_json", `{"event":"a","event":"b"}`: "invalid_json",
		`{"event":"a"}x`: "invalid_json",
	} {
		_, err := s.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
	// face as a string or an odd number, and a result that is a string,
	// are read as unknown rather than failing the callback.
	for _, body := range []string{
		`{"event":"verification.accepted","verification_result":{"face":"1"}}`,
		`{"event":"verification.accepted","verification_result":{"face":2}}`,
		`{"event":"verification.accepted","verification_result":"","verification_data":""}`,
		`{"event":"verification.accepted","verification_result":{"face":{"liveness":1}}}`,
	} {
		ev, err := s.Normalize(jsonDelivery([]byte(body)))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if ev.Data.User != nil || ev.Subject != "" {
			t.Fatalf("%s: user %+v", body, ev.Data.User)
		}
		if body == `{"event":"verification.accepted","verification_result":{"face":"1"}}` {
			if ev.Data.Signals == nil || !*ev.Data.Signals.FaceMatch {
				t.Fatalf("%s: %+v", body, ev.Data.Signals)
			}
		} else if ev.Data.Signals != nil {
			t.Fatalf("%s: %+v", body, ev.Data.Signals)
		}
	}
}

// Shufti stops retrying only on a 200: any other 2xx becomes one.
func TestShuftiAcknowledge(t *testing.T) {
	s := &Shufti{}
	for status, want := range map[int]int{200: 0, 201: 200, 202: 200, 204: 200, 400: 0, 500: 0, 503: 0} {
		a, replace := s.Acknowledge(status, http.Header{})
		if replace != (want != 0) || (replace && a.Status != want) {
			t.Errorf("%d: %+v %v", status, a, replace)
		}
	}
}

func TestShuftiSettings(t *testing.T) {
	var s Shufti
	if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser("shufti {\n secret {env.A}\n secret {env.B}\n digest legacy\n}")); err != nil {
		t.Fatal(err)
	}
	if len(s.Secrets) != 2 || s.Digest != ShuftiDigestLegacy {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []string{"shufti {\n digest hmac\n}", "shufti {\n digest\n}", "shufti {\n digest legacy x\n}", "shufti {\n header X\n}"} {
		if err := new(Shufti).UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	for name, v := range map[string]*Shufti{
		"no secret":      {},
		"unknown digest": {Secrets: []string{shuftiTestSecret}, Digest: "secret_body"},
		"empty env":      {Secrets: []string{"{env.BIOHOOK_TEST_UNSET_SHUFTI}"}},
	} {
		if err := v.Provision(testContext(t)); err == nil {
			t.Errorf("%s: provisioned", name)
		}
	}
	if d := provisioned(t, &Shufti{Secrets: []string{shuftiTestSecret}}).Digest; d != ShuftiDigestHashedSecret {
		t.Errorf("default digest %q", d)
	}
	if got := strings.Join(s.CredentialHeaders(), ","); got != "Signature" {
		t.Errorf("strips %s", got)
	}
}

func FuzzShuftiNormalize(f *testing.F) {
	fuzzNormalize(f, "shufti", provisioned(f, &Shufti{Secrets: []string{shuftiTestSecret}}))
}
