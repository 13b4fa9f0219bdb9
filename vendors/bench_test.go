package vendors

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	stdjson "encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkVendorPath measures what the handler does per delivery for each
// vendor: Verify, Normalize and Encode, on a fixture as the vendor sends it.
// Each has a Floor beside it: the vendor's hash or HMAC alone plus an
// encoding/json Unmarshal and Marshal of the same payload.
//
//	go test -run '^$' -bench 'VendorPath' -benchmem ./vendors/
func BenchmarkVendorPath(b *testing.B) {
	b.Run("faceio", func(b *testing.B) {
		f := provisioned(b, &FACEIO{Secrets: []string{"faceio-webhook-token"}})
		body := benchFixture(b, "faceio", "enroll.json")
		header := http.Header{"Content-Type": {"application/json"}, "Www-Authenticate": {"Bearer faceio-webhook-token"}}
		benchVendor(b, f, body, header, "https://hooks.example.com/hooks/faceio")
	})
	b.Run("faceio/floor", func(b *testing.B) {
		benchFloor(b, benchFixture(b, "faceio", "enroll.json"), func(body []byte) {
			sum := sha256.Sum256([]byte("faceio-webhook-token"))
			_ = sum
		})
	})
	b.Run("entrust", func(b *testing.B) {
		e := provisioned(b, &Entrust{Secrets: []string{"entrust-webhook-token"}})
		body := benchFixture(b, "entrust", "user.created.json")
		url := "https://hooks.example.com/hooks/entrust"
		d := signedEntrust(b, url, body, "entrust-webhook-token", time.Now())
		benchVendor(b, e, body, d.Request.Header, url)
	})
	b.Run("incode", func(b *testing.B) {
		in := provisioned(b, &Incode{Headers: StaticHeaders{"X-Incode-Key": {"incode-header-key-0123"}}})
		header := http.Header{"Content-Type": {"application/json"}, "X-Incode-Key": {"incode-header-key-0123"}}
		benchVendor(b, in, benchFixture(b, "incode", "auth_pass.json"), header, "https://hooks.example.com/hooks/incode")
	})
	b.Run("incode/floor", func(b *testing.B) {
		benchFloor(b, benchFixture(b, "incode", "auth_pass.json"), func([]byte) { sha256.Sum256([]byte("incode-header-key-0123")) })
	})
	b.Run("argos_ecb", func(b *testing.B) {
		a := provisioned(b, &ARGOS{Secrets: []string{"argos-test-api-key"}, Mode: "ecb"})
		header := http.Header{"Content-Type": {"application/json"}}
		benchVendor(b, a, benchFixture(b, "argos", "ecb/approved.json"), header, "https://hooks.example.com/hooks/argos")
	})
	b.Run("argos_ecb/floor", func(b *testing.B) {
		benchFloor(b, benchFixture(b, "argos", "approved.json"), func([]byte) {})
	})
	b.Run("entrust/floor", func(b *testing.B) {
		benchFloor(b, benchFixture(b, "entrust", "user.created.json"), func(body []byte) {
			sha256.Sum256(body)
			m := hmac.New(sha256.New, []byte("entrust-webhook-token"))
			m.Write(body[:200]) // the signature base is about this long
			m.Sum(nil)
		})
	})
}

func benchFixture(b *testing.B, vendor, name string) []byte {
	body, err := os.ReadFile(filepath.Join("..", "testdata", vendor, name))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func benchVendor(b *testing.B, v Vendor, body []byte, header http.Header, url string) {
	r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header = header
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d := &Delivery{Request: r, Body: body, Received: time.Now()}
		if err := v.Verify(d); err != nil {
			b.Fatal(err)
		}
		ev, err := v.Normalize(d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ev.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFloor is the least any receiver does with the delivery: its check,
// and one decode and encode of the payload with the standard library.
func benchFloor(b *testing.B, body []byte, check func([]byte)) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		check(body)
		var v map[string]any
		if err := stdjson.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
		if _, err := stdjson.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}
