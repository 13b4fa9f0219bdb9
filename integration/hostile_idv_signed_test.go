package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileIDVSite has Stripe, Persona and Shufti routes with dedupe, and
// the two Shufti constructions without.
func hostileIDVSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/stripe {
		biohook stripe {
			secret ` + idvStripeNew + `
			dedupe
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/persona {
		biohook persona {
			secret ` + idvPersonaOld + `
			secret ` + idvPersonaNew + `
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/shufti {
		biohook shufti {
			secret ` + idvShufti + `
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/shufti-legacy {
		biohook shufti {
			secret ` + idvShufti + `
			digest legacy
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/shufti-dedupe {
		biohook shufti {
			secret ` + idvShufti + `
			dedupe
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

// A captured Stripe delivery replayed at once, and Stripe's own retry of
// the event (the same evt_ id, signed again at a later t), reach the app
// once; the replay gets the success answer and Biohook-Duplicate. Later
// than max_skew the replay is refused outright. A Shufti callback, which
// signs no time, is remembered by the digest of its body.
func TestIDVSignedReplay(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, hostileIDVSite(up))
	body := readFixture(t, "stripe", "identity.verification_session.verified.json")
	first := timedHeaders("Stripe-Signature", body, time.Now(), idvStripeNew)
	res, answer := post(t, tester, "/hooks/stripe", body, first)
	mustStatus(t, res, answer, http.StatusOK)
	for _, h := range []http.Header{first, timedHeaders("Stripe-Signature", body, time.Now().Add(2*time.Second), idvStripeNew)} {
		res, answer = post(t, tester, "/hooks/stripe", body, h)
		mustStatus(t, res, answer, http.StatusOK)
		if res.Header.Get("Biohook-Duplicate") != "true" {
			t.Errorf("a replay was not answered as a duplicate: %v", res.Header)
		}
	}
	if n := len(up.take()); n != 1 {
		t.Fatalf("the app got the event %d times", n)
	}
	res, answer = post(t, tester, "/hooks/stripe", body, timedHeaders("Stripe-Signature", body, time.Now().Add(-6*time.Minute), idvStripeNew))
	mustStatus(t, res, answer, http.StatusUnauthorized)
	if answer != errorBody("stale_signature") || len(up.take()) != 0 {
		t.Fatalf("a replay outside the window: %s", answer)
	}

	shufti := readFixture(t, "shufti", "verification.accepted.json")
	for range 2 {
		res, answer = post(t, tester, "/hooks/shufti-dedupe", shufti, shuftiHeaders(shufti, idvShufti, false))
		mustStatus(t, res, answer, http.StatusOK)
	}
	if n := len(up.take()); n != 1 {
		t.Fatalf("the app got the Shufti callback %d times", n)
	}
}

// An attacker holding a genuine Persona delivery older than the window
// cannot revive it: a forged fresh set beside the genuine stale one, or
// the genuine v1 under a fresh t, does not verify. Nothing reaches the app.
func TestPersonaStaleSetWithForgedFreshSet(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, hostileIDVSite(up))
	body := readFixture(t, "persona", "inquiry.approved.json")
	old := time.Now().Add(-10 * time.Minute)
	captured := timedHeaders("Persona-Signature", body, old, idvPersonaOld, idvPersonaNew).Get("Persona-Signature")
	now := strconv.FormatInt(time.Now().Unix(), 10)
	genuineV1 := captured[strings.Index(captured, "v1=")+3:][:64]
	for value, reason := range map[string]string{
		captured: "stale_signature",
		captured + " t=" + now + ",v1=" + strings.Repeat("0", 64):          "stale_signature",
		"t=" + now + ",v1=" + strings.Repeat("0", 64) + " " + captured:     "stale_signature",
		"t=" + now + ",v1=" + genuineV1:                                    "signature_mismatch",
		"t=" + now + ",v1=" + genuineV1 + " t=" + now + ",v1=" + genuineV1: "signature_mismatch",
	} {
		h := http.Header{"Content-Type": {"application/json"}, "Persona-Signature": {value}}
		res, answer := post(t, tester, "/hooks/persona", body, h)
		mustStatus(t, res, answer, http.StatusUnauthorized)
		if answer != errorBody(reason) {
			t.Errorf("%q: %s, want %s", value, answer, reason)
		}
		if got := up.take(); len(got) != 0 {
			t.Fatalf("%q: the app got the event", value)
		}
	}
}

// Shufti's digests put the secret last, so the length extension that
// breaks Authenteq's secret_body gets nowhere: from a captured callback
// and its Signature, an attacker computes SHA-256(body || key || padding
// || more), which is the digest of no body it can send. Every length is
// tried, for the key and for a raw secret; each is 401, nothing upstream.
func TestShuftiLengthExtensionThroughCaddy(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, hostileIDVSite(up))
	body := readFixture(t, "shufti", "verification.declined.json")
	more := []byte(`,"event":"verification.accepted"}`)
	for _, c := range []struct {
		path   string
		legacy bool
		keyLen func(n int) bool
	}{
		{"/hooks/shufti", false, func(n int) bool { return n == 64 }}, // hex SHA-256 of the secret: always 64 bytes
		{"/hooks/shufti-legacy", true, func(n int) bool { return n == len(idvShufti) }},
	} {
		captured, _ := hex.DecodeString(shuftiHeaders(body, idvShufti, c.legacy).Get("Signature"))
		for keyLen := 8; keyLen <= 80; keyLen++ {
			n := len(body) + keyLen
			sig := sha256Extend(t, captured, n, more)
			if c.keyLen(keyLen) {
				// The attack computes what it should: the digest of the
				// signed bytes, the key, the padding and more.
				key := idvShufti
				if !c.legacy {
					sum := sha256.Sum256([]byte(idvShufti))
					key = hex.EncodeToString(sum[:])
				}
				whole := append(append(append(bytes.Clone(body), key...), sha256Pad(n)...), more...)
				if sum := sha256.Sum256(whole); !bytes.Equal(sum[:], sig) {
					t.Fatal("the length extension does not compute SHA-256(body || key || padding || more)")
				}
			}
			// What an attacker can send: the body, the padding and more
			// (the key it does not know cannot be part of it).
			forged := append(append(bytes.Clone(body), sha256Pad(n)...), more...)
			h := http.Header{"Content-Type": {"application/json"}, "Signature": {hex.EncodeToString(sig)}}
			res, answer := post(t, tester, c.path, forged, h)
			if res.StatusCode != http.StatusUnauthorized || answer != errorBody("signature_mismatch") {
				t.Errorf("%s, key length %d: %d %s", c.path, keyLen, res.StatusCode, answer)
			}
			if got := up.take(); len(got) != 0 {
				t.Fatalf("%s, key length %d: the app got %.200s", c.path, keyLen, got[0].Body)
			}
		}
	}
}
