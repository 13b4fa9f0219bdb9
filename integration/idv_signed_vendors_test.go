package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/biohook/caddy-biohook/verify"
)

// The secrets of the Stripe, Persona and Shufti routes, two of each for a
// rotation. Stripe's and Persona's are used as their bytes are.
const (
	idvStripeOld  = "whsec_caddy_test_stripe_old_01"
	idvStripeNew  = "whsec_caddy_test_stripe_new_02"
	idvPersonaOld = "wbhsec_caddy_test_persona_old_1"
	idvPersonaNew = "wbhsec_caddy_test_persona_new_2"
	idvShufti     = "caddy-test-shufti-secret-key-01"
)

func idvSignedSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/stripe {
		biohook stripe {
			secret {env.BIOHOOK_TEST_STRIPE_OLD}
			secret {env.BIOHOOK_TEST_STRIPE_NEW}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/stripe-30s {
		biohook stripe {
			secret {env.BIOHOOK_TEST_STRIPE_NEW}
			max_skew 30s
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/persona {
		biohook persona {
			secret {env.BIOHOOK_TEST_PERSONA_OLD}
			secret {env.BIOHOOK_TEST_PERSONA_NEW}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/shufti {
		biohook shufti {
			secret {env.BIOHOOK_TEST_SHUFTI}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/shufti-legacy {
		biohook shufti {
			secret {env.BIOHOOK_TEST_SHUFTI}
			digest legacy
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func startIDVSigned(t *testing.T) (*upstream, func(path string, body []byte, h http.Header) (*http.Response, string)) {
	t.Helper()
	t.Setenv("BIOHOOK_TEST_STRIPE_OLD", idvStripeOld)
	t.Setenv("BIOHOOK_TEST_STRIPE_NEW", idvStripeNew)
	t.Setenv("BIOHOOK_TEST_PERSONA_OLD", idvPersonaOld)
	t.Setenv("BIOHOOK_TEST_PERSONA_NEW", idvPersonaNew)
	t.Setenv("BIOHOOK_TEST_SHUFTI", idvShufti)
	up := newUpstream(t)
	tester := startCaddy(t, idvSignedSite(up))
	return up, func(path string, body []byte, h http.Header) (*http.Response, string) {
		return post(t, tester, path, body, h)
	}
}

// timedHeaders signs body as Stripe (one set, a v1 per secret) or Persona
// (a set per secret) does at at.
func timedHeaders(name string, body []byte, at time.Time, secrets ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	var sets []string
	if name == "Stripe-Signature" {
		keys := make([][]byte, len(secrets))
		for i, s := range secrets {
			keys[i] = []byte(s)
		}
		sets = append(sets, verify.SignTimedHMAC(at, body, keys...))
	} else {
		for _, s := range secrets {
			sets = append(sets, verify.SignTimedHMAC(at, body, []byte(s)))
		}
	}
	h.Set(name, strings.Join(sets, " "))
	return h
}

// shuftiHeaders signs body as Shufti does, written out without verify:
// hex SHA-256(body || hex SHA-256(secret)), or (legacy) body || secret.
func shuftiHeaders(body []byte, secret string, legacy bool) http.Header {
	key := secret
	if !legacy {
		sum := sha256.Sum256([]byte(secret))
		key = hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(append(append([]byte{}, body...), key...))
	return http.Header{"Content-Type": {"application/json"}, "Signature": {hex.EncodeToString(sum[:])}}
}

// Every fixture of the three vendors, signed now, reaches the upstream as
// its golden event, with Biohook-Event-Id and without the signature
// header; Persona's attempt headers go through as sent.
func TestIDVSignedThroughCaddy(t *testing.T) {
	up, send := startIDVSigned(t)
	for _, vendor := range []string{"stripe", "persona", "shufti"} {
		for _, name := range fixtureNames(t, vendor) {
			body := readFixture(t, vendor, name)
			var h http.Header
			var cred string
			switch vendor {
			case "stripe":
				h, cred = timedHeaders("Stripe-Signature", body, time.Now(), idvStripeNew), "Stripe-Signature"
			case "persona":
				h, cred = timedHeaders("Persona-Signature", body, time.Now(), idvPersonaOld, idvPersonaNew), "Persona-Signature"
				h.Set("Persona-Webhook-Attempts-Made", "2")
				h.Set("Persona-Webhook-Attempts-Left", "3")
				h.Set("Persona-Webhook-First-Attempted-At", "1794650000")
			case "shufti":
				h, cred = shuftiHeaders(body, idvShufti, false), "Signature"
			}
			res, answer := send("/hooks/"+vendor, body, h)
			mustStatus(t, res, answer, http.StatusOK)
			got := up.take()
			if len(got) != 1 {
				t.Fatalf("%s/%s: upstream got %d requests", vendor, name, len(got))
			}
			r := got[0]
			assertGolden(t, vendor, name, r.Body)
			if r.Header.Get(cred) != "" {
				t.Errorf("%s/%s: %s reached the upstream", vendor, name, cred)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/cloudevents+json" {
				t.Errorf("%s/%s: Content-Type %q", vendor, name, ct)
			}
			var ev struct{ ID string }
			if err := json.Unmarshal(r.Body, &ev); err != nil || ev.ID == "" || r.Header.Get("Biohook-Event-Id") != ev.ID {
				t.Errorf("%s/%s: Biohook-Event-Id %q, event id %q", vendor, name, r.Header.Get("Biohook-Event-Id"), ev.ID)
			}
			if vendor == "persona" && (r.Header.Get("Persona-Webhook-Attempts-Made") != "2" || r.Header.Get("Persona-Webhook-Attempts-Left") != "3" ||
				r.Header.Get("Persona-Webhook-First-Attempted-At") != "1794650000") {
				t.Errorf("%s: Persona's attempt headers did not reach the upstream: %v", name, r.Header)
			}
		}
	}
}

// Each refusal is a 4xx with its reason, and the upstream receives nothing.
func TestIDVSignedRefusalsThroughCaddy(t *testing.T) {
	up, send := startIDVSigned(t)
	now := time.Now()
	stripeBody := readFixture(t, "stripe", "identity.verification_session.verified.json")
	personaBody := readFixture(t, "persona", "inquiry.approved.json")
	shuftiBody := readFixture(t, "shufti", "verification.accepted.json")
	hex64 := strings.Repeat("a", 64)
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		h.Set(name, value)
		return h
	}
	twice := func(h http.Header, name string) http.Header {
		h = h.Clone()
		h.Add(name, h.Get(name))
		return h
	}
	stripeOK := timedHeaders("Stripe-Signature", stripeBody, now, idvStripeOld)
	personaOK := timedHeaders("Persona-Signature", personaBody, now, idvPersonaNew)
	shuftiOK := shuftiHeaders(shuftiBody, idvShufti, false)
	cases := []struct {
		name, path string
		body       []byte
		h          http.Header
		status     int
		code       string
	}{
		{"stripe: no signature", "/hooks/stripe", stripeBody, http.Header{"Content-Type": {"application/json"}}, 401, "missing_signature"},
		{"stripe: two headers", "/hooks/stripe", stripeBody, twice(stripeOK, "Stripe-Signature"), 401, "duplicate_header"},
		{"stripe: unknown secret", "/hooks/stripe", stripeBody, timedHeaders("Stripe-Signature", stripeBody, now, "whsec_caddy_test_stripe_xx_03"), 401, "signature_mismatch"},
		{"stripe: body changed", "/hooks/stripe", stripeBody, timedHeaders("Stripe-Signature", readFixture(t, "stripe", "identity.verification_session.canceled.json"), now, idvStripeOld), 401, "signature_mismatch"},
		{"stripe: replayed after 6m", "/hooks/stripe", stripeBody, timedHeaders("Stripe-Signature", stripeBody, now.Add(-6*time.Minute), idvStripeOld), 401, "stale_signature"},
		{"stripe: t 6m ahead", "/hooks/stripe", stripeBody, timedHeaders("Stripe-Signature", stripeBody, now.Add(6*time.Minute), idvStripeOld), 401, "signature_in_future"},
		{"stripe: max_skew 30s, 31s old", "/hooks/stripe-30s", stripeBody, timedHeaders("Stripe-Signature", stripeBody, now.Add(-31*time.Second), idvStripeNew), 401, "stale_signature"},
		{"stripe: t not digits", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=now,v1="+hex64), 401, "malformed_timestamp"},
		{"stripe: t overflows", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=123456789012345678901,v1="+hex64), 401, "timestamp_out_of_range"},
		{"stripe: empty v1", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=1700000000,v1="), 401, "empty_signature"},
		{"stripe: v1 not hex", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=1700000000,v1=xyz"), 401, "signature_not_hex"},
		{"stripe: only v0", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=1700000000,v0="+hex64), 401, "unsupported_signature"},
		{"stripe: 9 v1", "/hooks/stripe", stripeBody, with(stripeOK, "Stripe-Signature", "t=1700000000"+strings.Repeat(",v1="+hex64, 9)), 401, "too_many_signatures"},
		{"stripe: no type", "/hooks/stripe", []byte(`{"id":"evt_1"}`), timedHeaders("Stripe-Signature", []byte(`{"id":"evt_1"}`), now, idvStripeOld), 400, "invalid_payload"},
		{"persona: no signature", "/hooks/persona", personaBody, http.Header{"Content-Type": {"application/json"}}, 401, "missing_signature"},
		{"persona: two headers", "/hooks/persona", personaBody, twice(personaOK, "Persona-Signature"), 401, "duplicate_header"},
		{"persona: unknown secret", "/hooks/persona", personaBody, timedHeaders("Persona-Signature", personaBody, now, "wbhsec_caddy_test_persona_xx_3"), 401, "signature_mismatch"},
		{"persona: replayed after 6m", "/hooks/persona", personaBody, timedHeaders("Persona-Signature", personaBody, now.Add(-6*time.Minute), idvPersonaOld, idvPersonaNew), 401, "stale_signature"},
		{"persona: second set without t", "/hooks/persona", personaBody, with(personaOK, "Persona-Signature", personaOK.Get("Persona-Signature")+" v1="+hex64), 401, "missing_timestamp"},
		{"persona: two t", "/hooks/persona", personaBody, with(personaOK, "Persona-Signature", "t=1,t=2,v1="+hex64), 401, "duplicate_timestamp"},
		{"persona: five sets", "/hooks/persona", personaBody, with(personaOK, "Persona-Signature", strings.Repeat(personaOK.Get("Persona-Signature")+" ", 5)), 401, "too_many_signatures"},
		{"persona: an unknown key only", "/hooks/persona", personaBody, with(personaOK, "Persona-Signature", "sha256="), 401, "missing_timestamp"},
		{"persona: comma then space", "/hooks/persona", personaBody, with(personaOK, "Persona-Signature", strings.Replace(personaOK.Get("Persona-Signature"), ",", ", ", 1)), 401, "malformed_signature"},
		{"shufti: no signature", "/hooks/shufti", shuftiBody, http.Header{"Content-Type": {"application/json"}}, 401, "missing_signature"},
		{"shufti: two headers", "/hooks/shufti", shuftiBody, twice(shuftiOK, "Signature"), 401, "duplicate_header"},
		{"shufti: unknown secret", "/hooks/shufti", shuftiBody, shuftiHeaders(shuftiBody, "caddy-test-shufti-secret-key-xx", false), 401, "signature_mismatch"},
		{"shufti: legacy digest on the default route", "/hooks/shufti", shuftiBody, shuftiHeaders(shuftiBody, idvShufti, true), 401, "signature_mismatch"},
		{"shufti: default digest on the legacy route", "/hooks/shufti-legacy", shuftiBody, shuftiOK, 401, "signature_mismatch"},
		{"shufti: bytes appended", "/hooks/shufti", append(append([]byte{}, shuftiBody...), "\n "...), shuftiOK, 401, "signature_mismatch"},
		{"shufti: not hex", "/hooks/shufti", shuftiBody, with(shuftiOK, "Signature", "sha256="+hex64), 401, "malformed_signature"},
		{"shufti: no event", "/hooks/shufti", []byte(`{"reference":"r"}`), shuftiHeaders([]byte(`{"reference":"r"}`), idvShufti, false), 400, "invalid_payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, answer := send(c.path, c.body, c.h)
			mustStatus(t, res, answer, c.status)
			if answer != errorBody(c.code) {
				t.Fatalf("answer %s, want %s", answer, errorBody(c.code))
			}
			if got := up.take(); len(got) != 0 {
				t.Fatalf("upstream got %d requests", len(got))
			}
		})
	}
	// The legacy route takes the legacy digest.
	res, answer := send("/hooks/shufti-legacy", shuftiBody, shuftiHeaders(shuftiBody, idvShufti, true))
	mustStatus(t, res, answer, http.StatusOK)
	if got := up.take(); len(got) != 1 {
		t.Fatalf("legacy: upstream got %d requests", len(got))
	}
}

// Shufti stops retrying only on a 200: an app's 202 reaches it as 200; a
// failure passes unchanged, so Shufti retries it. Stripe and Persona take
// any 2xx and get the app's answer as it is.
func TestIDVSignedAcksThroughCaddy(t *testing.T) {
	up, send := startIDVSigned(t)
	body := readFixture(t, "shufti", "verification.accepted.json")
	for upStatus, want := range map[int]int{http.StatusAccepted: 200, http.StatusNoContent: 200, http.StatusOK: 200, http.StatusInternalServerError: 500} {
		up.answer(upStatus, "")
		res, answer := send("/hooks/shufti", body, shuftiHeaders(body, idvShufti, false))
		mustStatus(t, res, answer, want)
		up.take()
	}
	up.answer(http.StatusAccepted, "")
	stripeBody := readFixture(t, "stripe", "customer.created.json")
	res, answer := send("/hooks/stripe", stripeBody, timedHeaders("Stripe-Signature", stripeBody, time.Now(), idvStripeNew))
	mustStatus(t, res, answer, http.StatusAccepted)
}

// A dedupe that forgets an event sooner than max_skew would let a replay
// in the window through: the route does not load.
func TestIDVSignedDedupeOutlivesWindow(t *testing.T) {
	for _, vendor := range []string{"stripe", "persona"} {
		config := globals + `
:9080 {
	biohook ` + vendor + ` {
		secret whsec_caddy_test_dedupe_secret_1
		max_skew 10m
		dedupe {
			ttl 5m
		}
	}
	respond 200
}`
		caddytest.AssertLoadError(t, config, "caddyfile", "shorter than the vendor's max_skew")
	}
}
