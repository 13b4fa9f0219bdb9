package vendors

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// BenchmarkIDVSigned measures the Stripe, Persona and Shufti checks on a
// fixture as the vendor sends it, each beside its floor, the bare
// primitive over the same bytes: HMAC-SHA256 of "<t>.<body>" keyed afresh
// (Stripe, Persona), SHA-256 of the body and the key (Shufti). path is
// Verify, Normalize and Encode, beside the floor every vendor has in
// BenchmarkVendorPath: the primitive plus an encoding/json round trip.
//
//	go test -run '^$' -bench 'IDVSigned' -benchmem ./vendors/
func BenchmarkIDVSigned(b *testing.B) {
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	hmacFloor := func(key string) func([]byte) {
		return func(body []byte) {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(ts + "."))
			m.Write(body)
			m.Sum(nil)
		}
	}
	shuftiKey := ShuftiDigestKey(ShuftiDigestHashedSecret, []byte(shuftiTestSecret))
	digestFloor := func(body []byte) {
		h := sha256.New()
		h.Write(body)
		h.Write(shuftiKey)
		h.Sum(nil)
	}
	stripeBody := benchFixture(b, "stripe", "identity.verification_session.verified.json")
	personaBody := benchFixture(b, "persona", "inquiry.approved.json")
	shuftiBody := benchFixture(b, "shufti", "verification.accepted.json")
	stripe := provisioned(b, &Stripe{Secrets: []string{stripeTestSecret}})
	persona := provisioned(b, &Persona{Secrets: []string{personaTestSecret}})
	personaRotating := provisioned(b, &Persona{Secrets: []string{personaTestSecret, personaTestSecret2}})
	shufti := provisioned(b, &Shufti{Secrets: []string{shuftiTestSecret}})
	header := func(name, value string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, name: {value}}
	}
	stripeH := header("Stripe-Signature", verify.SignTimedHMAC(now, stripeBody, []byte(stripeTestSecret)))
	personaH := header("Persona-Signature", verify.SignTimedHMAC(now, personaBody, []byte(personaTestSecret)))
	personaTwoSets := header("Persona-Signature", verify.SignTimedHMAC(now, personaBody, []byte(personaTestSecret))+" "+
		verify.SignTimedHMAC(now, personaBody, []byte(personaTestSecret2)))
	shuftiH := header("Signature", verify.SignSuffixDigest(shuftiBody, shuftiKey))

	b.Run("stripe/verify", func(b *testing.B) { benchVerify(b, stripe, stripeBody, stripeH) })
	b.Run("stripe/verify/floor", func(b *testing.B) { benchPrimitive(b, stripeBody, hmacFloor(stripeTestSecret)) })
	b.Run("persona/verify", func(b *testing.B) { benchVerify(b, persona, personaBody, personaH) })
	b.Run("persona/verify/floor", func(b *testing.B) { benchPrimitive(b, personaBody, hmacFloor(personaTestSecret)) })
	b.Run("persona/verify_rotation", func(b *testing.B) { benchVerify(b, personaRotating, personaBody, personaTwoSets) })
	b.Run("shufti/verify", func(b *testing.B) { benchVerify(b, shufti, shuftiBody, shuftiH) })
	b.Run("shufti/verify/floor", func(b *testing.B) { benchPrimitive(b, shuftiBody, digestFloor) })

	url := "https://hooks.example.com/hooks/x"
	b.Run("stripe/path", func(b *testing.B) { benchVendor(b, stripe, stripeBody, stripeH, url) })
	b.Run("stripe/path/floor", func(b *testing.B) { benchFloor(b, stripeBody, hmacFloor(stripeTestSecret)) })
	b.Run("persona/path", func(b *testing.B) { benchVendor(b, persona, personaBody, personaH, url) })
	b.Run("persona/path/floor", func(b *testing.B) { benchFloor(b, personaBody, hmacFloor(personaTestSecret)) })
	b.Run("shufti/path", func(b *testing.B) { benchVendor(b, shufti, shuftiBody, shuftiH, url) })
	b.Run("shufti/path/floor", func(b *testing.B) { benchFloor(b, shuftiBody, digestFloor) })
}

func benchVerify(b *testing.B, v Vendor, body []byte, header http.Header) {
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/x", nil)
	r.Header = header
	d := &Delivery{Request: r, Body: body, Received: time.Now()}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(d); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPrimitive(b *testing.B, body []byte, f func([]byte)) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f(body)
	}
}
