package vendors

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// The secrets the Stripe and Persona tests sign with, and the second of a
// rotation. Each is used as its bytes are.
const (
	stripeTestSecret    = "whsec_test_secret_0123456789"
	stripeTestSecretNew = "whsec_test_secret_rolled_9876"
	personaTestSecret   = "wbhsec_test_secret_0123456789"
	personaTestSecret2  = "wbhsec_test_secret_rotated_987"
)

func init() {
	goldenVendors["stripe"] = func(t testing.TB) Vendor { return provisioned(t, &Stripe{Secrets: []string{stripeTestSecret}}) }
	goldenVendors["persona"] = func(t testing.TB) Vendor { return provisioned(t, &Persona{Secrets: []string{personaTestSecret}}) }
}

// timedDelivery is body signed at at, the header set to value.
func timedDelivery(header, value string, body []byte, received time.Time) *Delivery {
	d := jsonDelivery(body)
	d.Request.Header.Set(header, value)
	d.Received = received
	return d
}

// The self-derived vectors of the research notes, through each vendor:
// HMAC-SHA256 of "<t>.<body>" under the secret's bytes, prefix and all.
func TestTimedVendorVectors(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	cases := []struct {
		vendor               Vendor
		secret, header, body string
		value                string
	}{
		{provisioned(t, &Stripe{Secrets: []string{"whsec_test_secret"}}), "whsec_test_secret", "Stripe-Signature",
			`{"id":"evt_test","object":"event","type":"identity.verification_session.verified","created":1700000000,"data":{"object":{"id":"vs_test","object":"identity.verification_session","status":"verified","client_reference_id":"user-42","last_error":null}}}`,
			"t=1700000000,v1=64080af29260c7ff495b5dd3fac769190af155b22bc5362cb6cddc8353212957"},
		{provisioned(t, &Persona{Secrets: []string{"wbhsec_test_secret"}}), "wbhsec_test_secret", "Persona-Signature",
			`{"data":{"type":"event","id":"evt_test","attributes":{"name":"inquiry.approved","created-at":"2023-11-14T22:13:20.000Z","payload":{"data":{"type":"inquiry","id":"inq_test","attributes":{"status":"approved","reference-id":"user-42"}}}}}}`,
			"t=1700000000,v1=820766ed0fce5cb70c1ea14348cb08e14b23a3122ee38336afde111edc2f7d59"},
	}
	for _, c := range cases {
		body := []byte(c.body)
		if got := verify.SignTimedHMAC(t0, body, []byte(c.secret)); got != c.value {
			t.Fatalf("recomputed %s, want %s", got, c.value)
		}
		assertCode(t, c.vendor.Verify(timedDelivery(c.header, c.value, body, t0.Add(time.Minute))), "")
		assertCode(t, c.vendor.Verify(timedDelivery(c.header, c.value, body, t0.Add(6*time.Minute))), "stale_signature")
		ev, err := c.vendor.Normalize(timedDelivery(c.header, c.value, body, t0))
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "evt_test" || ev.Data.Outcome != OutcomeApproved || ev.Subject != "user-42" || ev.Data.User.ExternalID != "user-42" {
			t.Fatalf("%s: %+v", c.header, ev)
		}
	}
}

// Each way a Stripe-Signature or Persona-Signature fails has its reason;
// a good one, with either secret of a rotation, passes.
func TestTimedVendorVerify(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"evt_1","type":"identity.verification_session.verified"}`)
	sig := func(at time.Time, keys ...string) string {
		bs := make([][]byte, len(keys))
		for i, k := range keys {
			bs[i] = []byte(k)
		}
		return verify.SignTimedHMAC(at, body, bs...)
	}
	hex64 := strings.Repeat("0", 64)
	for _, vendor := range []struct {
		v      Vendor
		header string
		keys   [2]string
	}{
		{provisioned(t, &Stripe{Secrets: []string{stripeTestSecret, stripeTestSecretNew}}), "Stripe-Signature", [2]string{stripeTestSecret, stripeTestSecretNew}},
		{provisioned(t, &Persona{Secrets: []string{personaTestSecret, personaTestSecret2}}), "Persona-Signature", [2]string{personaTestSecret, personaTestSecret2}},
	} {
		k1, k2 := vendor.keys[0], vendor.keys[1]
		cases := []struct {
			name, value, code string
		}{
			{"first secret", sig(now, k1), ""},
			{"second secret", sig(now, k2), ""},
			{"two v1 in one set", sig(now, "whsec_unknown_secret_000", k2), ""},
			{"two sets, each its own t", sig(now.Add(-3*time.Second), "wbhsec_unknown_secret_00") + " " + sig(now, k1), ""},
			{"v0 and unknown keys ignored", sig(now, k1) + ",v0=" + hex64 + ",v9=x", ""},
			{"4m59s old", sig(now.Add(-299*time.Second), k1), ""},
			{"5m01s old", sig(now.Add(-301*time.Second), k1), "stale_signature"},
			{"5m01s ahead", sig(now.Add(301*time.Second), k1), "signature_in_future"},
			{"unknown secret", sig(now, "whsec_unknown_secret_000"), "signature_mismatch"},
			{"secret base64-decoded", sig(now, mustBase64(t, strings.SplitN(k1, "_", 2)[1])), "signature_mismatch"},
			{"secret without its prefix", sig(now, strings.SplitN(k1, "_", 2)[1]), "signature_mismatch"},
			{"empty", "", "malformed_signature"},
			{"no equals sign", "t1700000000", "malformed_signature"},
			{"t not digits", "t=17e8,v1=" + hex64, "malformed_timestamp"},
			{"t overflows", "t=99999999999999999999,v1=" + hex64, "timestamp_out_of_range"},
			{"a set without t", sig(now, k1) + " v1=" + hex64, "missing_timestamp"},
			{"two t", "t=1,t=2,v1=" + hex64, "duplicate_timestamp"},
			{"empty v1", "t=1700000000,v1=", "empty_signature"},
			{"v1 not hex", "t=1700000000,v1=" + strings.Repeat("z", 64), "signature_not_hex"},
			{"only v0", "t=1700000000,v0=" + hex64, "unsupported_signature"},
			{"too many v1", "t=1700000000" + strings.Repeat(",v1="+hex64, 9), "too_many_signatures"},
			{"too many sets", strings.Repeat(sig(now, k1)+" ", 5), "too_many_signatures"},
		}
		for _, c := range cases {
			t.Run(vendor.header+"/"+c.name, func(t *testing.T) {
				assertCode(t, vendor.v.Verify(timedDelivery(vendor.header, c.value, body, now)), c.code)
			})
		}
		t.Run(vendor.header+"/missing", func(t *testing.T) {
			assertCode(t, vendor.v.Verify(jsonDelivery(body)), "missing_signature")
		})
		t.Run(vendor.header+"/duplicate", func(t *testing.T) {
			d := timedDelivery(vendor.header, sig(now, k1), body, now)
			d.Request.Header.Add(vendor.header, sig(now, k1))
			assertCode(t, vendor.v.Verify(d), "duplicate_header")
		})
	}
}

func mustBase64(t *testing.T, s string) string {
	b, err := base64.RawStdEncoding.DecodeString(strings.NewReplacer("_", "/").Replace(s))
	if err != nil {
		// Not base64 at all: a receiver that insists on decoding gets
		// some other key; any other key fails the same way.
		return "decoded:" + s
	}
	return string(b)
}

// max_skew sets the window, either way; no secret, or a window that is not
// positive, does not start.
func TestTimedVendorSettings(t *testing.T) {
	now := time.Now()
	body := []byte(`{"type":"x"}`)
	s := provisioned(t, &Stripe{Secrets: []string{stripeTestSecret}, MaxSkew: caddy.Duration(30 * time.Second)})
	if s.SignatureWindow() != 30*time.Second {
		t.Fatalf("window %v", s.SignatureWindow())
	}
	assertCode(t, s.Verify(timedDelivery("Stripe-Signature", verify.SignTimedHMAC(now.Add(-31*time.Second), body, []byte(stripeTestSecret)), body, now)), "stale_signature")
	assertCode(t, s.Verify(timedDelivery("Stripe-Signature", verify.SignTimedHMAC(now.Add(31*time.Second), body, []byte(stripeTestSecret)), body, now)), "signature_in_future")
	if w := provisioned(t, &Persona{Secrets: []string{personaTestSecret}}).SignatureWindow(); w != DefaultTimedMaxSkew {
		t.Fatalf("default window %v", w)
	}
	for name, v := range map[string]caddy.Provisioner{
		"stripe no secret":        &Stripe{},
		"persona no secret":       &Persona{},
		"stripe negative skew":    &Stripe{Secrets: []string{stripeTestSecret}, MaxSkew: -1},
		"persona unset env":       &Persona{Secrets: []string{"{env.BIOHOOK_TEST_UNSET_PERSONA}"}},
		"stripe one empty secret": &Stripe{Secrets: []string{stripeTestSecret, ""}},
	} {
		if err := v.Provision(testContext(t)); err == nil {
			t.Errorf("%s: provisioned", name)
		}
	}
	if got := strings.Join(s.CredentialHeaders(), ","); got != "Stripe-Signature" {
		t.Errorf("stripe strips %s", got)
	}
	if got := strings.Join((&Persona{}).CredentialHeaders(), ","); got != "Persona-Signature" {
		t.Errorf("persona strips %s", got)
	}
}

func TestTimedVendorCaddyfile(t *testing.T) {
	var s Stripe
	if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser("stripe {\n secret {env.A}\n secret {env.B}\n max_skew 2m\n}")); err != nil {
		t.Fatal(err)
	}
	if len(s.Secrets) != 2 || s.Secrets[1] != "{env.B}" || time.Duration(s.MaxSkew) != 2*time.Minute {
		t.Fatalf("%+v", s)
	}
	var p Persona
	if err := p.UnmarshalCaddyfile(caddyfile.NewTestDispenser("persona {\n secret {env.A}\n max_skew 90s\n}")); err != nil {
		t.Fatal(err)
	}
	if len(p.Secrets) != 1 || time.Duration(p.MaxSkew) != 90*time.Second {
		t.Fatalf("%+v", p)
	}
	for _, bad := range []string{"stripe {\n tolerance 5m\n}", "stripe {\n secret\n}", "stripe {\n secret a b\n}", "stripe {\n max_skew soon\n}",
		"persona {\n secret a\n header X\n}", "persona {\n max_skew\n}"} {
		var v caddyfile.Unmarshaler = new(Stripe)
		if strings.HasPrefix(bad, "persona") {
			v = new(Persona)
		}
		if err := v.UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The Stripe mapping, fixture by fixture; the goldens hold the rest.
func TestStripeNormalize(t *testing.T) {
	s := provisioned(t, &Stripe{Secrets: []string{stripeTestSecret}})
	cases := map[string]struct {
		typ     string
		kind    Kind
		outcome Outcome
		errCode string
	}{
		"identity.verification_session.created":        {TypeIdentityVerification, KindVerification, OutcomePending, ""},
		"identity.verification_session.processing":     {TypeIdentityVerification, KindVerification, OutcomePending, ""},
		"identity.verification_session.verified":       {TypeIdentityVerification, KindVerification, OutcomeApproved, ""},
		"identity.verification_session.requires_input": {TypeIdentityVerification, KindVerification, OutcomeRejected, "selfie_face_mismatch"},
		"identity.verification_session.canceled":       {TypeIdentityVerification, KindVerification, OutcomeNone, ""},
		"identity.verification_session.redacted":       {TypeIdentityDeletion, KindDeletion, OutcomeNone, ""},
		"customer.created":                             {TypeVendorEvent, KindOther, OutcomeNone, ""},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			ev, err := s.Normalize(fixture{"stripe", name, "../testdata/stripe/" + name + ".json"}.delivery(t))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != want.typ || ev.Data.Kind != want.kind || ev.Data.Outcome != want.outcome || ev.Data.VendorEvent != name {
				t.Fatalf("got %s %s %s", ev.Type, ev.Data.Kind, ev.Data.Outcome)
			}
			if (ev.Data.Error == nil) != (want.errCode == "") || (ev.Data.Error != nil && ev.Data.Error.Code != want.errCode) {
				t.Fatalf("error %+v", ev.Data.Error)
			}
			if !strings.HasPrefix(ev.ID, "evt_") || !strings.HasPrefix(ev.Time, "2026-11-") {
				t.Fatalf("id %q time %q", ev.ID, ev.Time)
			}
			if want.kind == KindOther {
				if ev.Data.Resource != nil || ev.Data.User != nil {
					t.Fatalf("other: %+v", ev.Data)
				}
				return
			}
			r := ev.Data.Resource
			if r == nil || r.Type != "verification_session" || r.Href != StripeSessionHref+r.ID || !strings.HasPrefix(r.ID, "vs_") {
				t.Fatalf("resource %+v", r)
			}
		})
	}
	// Refused after a valid signature: not JSON, no type, duplicate keys.
	for body, code := range map[string]string{
		`{"id":"evt_1"}`: "invalid_payload", `not json`: "invalid_json", `{"type":"a","type":"b"}`: "invalid_json",
		`{"type":"a"} {}`: "invalid_json", `{"type":"a","data":[]}`: "invalid_json",
	} {
		_, err := s.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
	// Odd but valid shapes do not fail: an id that needs escaping in the
	// href, a created that is not seconds, a last_error that is a string.
	ev, err := s.Normalize(jsonDelivery([]byte(`{"type":"identity.verification_session.requires_input","created":"soon","data":{"object":{"id":"vs/../x y","status":"requires_input","last_error":"x"}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Time != "" || ev.Data.Outcome != OutcomePending || ev.Data.Error != nil || ev.Data.Resource.Href != StripeSessionHref+"vs%2F..%2Fx%20y" || ev.ID == "" {
		t.Fatalf("%+v %+v", ev, ev.Data.Resource)
	}
}

func TestPersonaNormalize(t *testing.T) {
	p := provisioned(t, &Persona{Secrets: []string{personaTestSecret}})
	cases := map[string]struct {
		typ     string
		outcome Outcome
		resType string
		user    string
	}{
		"inquiry.approved":          {TypeIdentityVerification, OutcomeApproved, "inquiry", "user-7d1f3a"},
		"inquiry.declined":          {TypeIdentityVerification, OutcomeRejected, "inquiry", "user-7d1f3a"},
		"inquiry.failed":            {TypeIdentityVerification, OutcomeRejected, "inquiry", "user-7d1f3a"},
		"inquiry.completed":         {TypeIdentityVerification, OutcomePending, "inquiry", "user-7d1f3a"},
		"inquiry.marked-for-review": {TypeIdentityVerification, OutcomePending, "inquiry", "user-7d1f3a"},
		"inquiry.expired":           {TypeIdentityVerification, OutcomeNone, "inquiry", "user-51c0e2"},
		"verification.passed":       {TypeIdentityVerification, OutcomeApproved, "verification/selfie", ""},
		"report.watchlist.matched":  {TypeVendorEvent, OutcomeNone, "report/watchlist", "user-7d1f3a"},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			ev, err := p.Normalize(fixture{"persona", name, "../testdata/persona/" + name + ".json"}.delivery(t))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != want.typ || ev.Data.Outcome != want.outcome || ev.Data.Resource == nil || ev.Data.Resource.Type != want.resType {
				t.Fatalf("got %s %s %+v", ev.Type, ev.Data.Outcome, ev.Data.Resource)
			}
			if got := ""; ev.Data.User != nil {
				got = ev.Data.User.ExternalID
				if got != want.user || ev.Subject != want.user {
					t.Fatalf("user %q subject %q", got, ev.Subject)
				}
			} else if want.user != "" {
				t.Fatal("no user")
			}
			if !strings.HasPrefix(ev.ID, "evt_") || !strings.HasSuffix(ev.Time, "Z") || ev.Data.Resource.ID == "" {
				t.Fatalf("id %q time %q", ev.ID, ev.Time)
			}
		})
	}
	// With no status the event's name decides.
	ev, err := p.Normalize(jsonDelivery([]byte(`{"data":{"attributes":{"name":"inquiry.declined","payload":{"data":{"type":"inquiry","id":"inq_1"}}}}}`)))
	if err != nil || ev.Data.Outcome != OutcomeRejected || ev.Time != "" || ev.ID == "" {
		t.Fatalf("%+v %v", ev, err)
	}
	for body, code := range map[string]string{
		`{"data":{"id":"evt_1"}}`: "invalid_payload", `[]`: "invalid_json", `{"data":{"attributes":{"name":"a","name":"b"}}}`: "invalid_json",
	} {
		_, err := p.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
}

func FuzzStripeNormalize(f *testing.F) {
	fuzzNormalize(f, "stripe", provisioned(f, &Stripe{Secrets: []string{stripeTestSecret}}))
}

func FuzzPersonaNormalize(f *testing.F) {
	fuzzNormalize(f, "persona", provisioned(f, &Persona{Secrets: []string{personaTestSecret}}))
}
