package vendors

import (
	"crypto/sha256"
	"net/http"
	"testing"
)

// BenchmarkIDVVendorPath is BenchmarkVendorPath for the vendors that sign
// nothing: the Authorization check (Bearer, Basic) or none (the route's
// source_ips are checked by the handler), Normalize and Encode. Each floor
// is the credential's SHA-256 (nothing for Jumio and Ondato) plus an
// encoding/json round trip of the payload.
//
//	go test -run '^$' -bench 'IDVVendorPath' -benchmem ./vendors/
func BenchmarkIDVVendorPath(b *testing.B) {
	const url = "https://hooks.example.com/hooks/"
	creds := AuthCredentials{Basic: []BasicCredential{{"yoti-notify", "a-password-of-some-length"}}, Bearer: []string{"0f9a6c1e-4d2b-4a8e-9c3f-7b5d1e2a8c4f"}}
	bearer := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer 0f9a6c1e-4d2b-4a8e-9c3f-7b5d1e2a8c4f"}}
	basic := http.Header{"Content-Type": {"application/json"}, "Authorization": {basicHeader("yoti-notify", "a-password-of-some-length")}}
	plain := http.Header{"Content-Type": {"application/json"}}
	credential := func([]byte) { sha256.Sum256([]byte("0f9a6c1e-4d2b-4a8e-9c3f-7b5d1e2a8c4f")) }
	b.Run("yoti_bearer", func(b *testing.B) {
		y := provisioned(b, &Yoti{AuthCredentials: creds})
		benchVendor(b, y, benchFixture(b, "yoti", "check_completion.json"), bearer, url+"yoti")
	})
	b.Run("yoti_basic", func(b *testing.B) {
		y := provisioned(b, &Yoti{AuthCredentials: creds})
		benchVendor(b, y, benchFixture(b, "yoti", "check_completion.json"), basic, url+"yoti")
	})
	b.Run("yoti/floor", func(b *testing.B) { benchFloor(b, benchFixture(b, "yoti", "check_completion.json"), credential) })
	b.Run("socure_basic", func(b *testing.B) {
		s := provisioned(b, &Socure{AuthCredentials: creds})
		benchVendor(b, s, benchFixture(b, "socure", "evaluation_completed_accept.json"), basic, url+"socure")
	})
	b.Run("socure/floor", func(b *testing.B) {
		benchFloor(b, benchFixture(b, "socure", "evaluation_completed_accept.json"), credential)
	})
	b.Run("jumio", func(b *testing.B) {
		benchVendor(b, provisioned(b, &Jumio{}), benchFixture(b, "jumio", "processed.json"), plain, url+"jumio")
	})
	b.Run("jumio/floor", func(b *testing.B) { benchFloor(b, benchFixture(b, "jumio", "processed.json"), func([]byte) {}) })
	b.Run("ondato", func(b *testing.B) {
		benchVendor(b, provisioned(b, &Ondato{}), benchFixture(b, "ondato", "kyc_approved.json"), plain, url+"ondato")
	})
	b.Run("ondato/floor", func(b *testing.B) { benchFloor(b, benchFixture(b, "ondato", "kyc_approved.json"), func([]byte) {}) })
	b.Run("auth_check_bearer", func(b *testing.B) {
		c, _ := creds.provision("bench")
		b.ReportAllocs()
		for b.Loop() {
			_ = c.check(bearer)
		}
	})
	b.Run("auth_check_basic", func(b *testing.B) {
		c, _ := creds.provision("bench")
		b.ReportAllocs()
		for b.Loop() {
			_ = c.check(basic)
		}
	})
}
