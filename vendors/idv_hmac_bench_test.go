package vendors

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// idvBench is one body-HMAC IDV vendor on a fixture as the vendor sends it.
type idvBench struct {
	name, fixture, header, algorithm string
	vendor                           Vendor
	extra                            map[string]string
}

func idvBenches(b *testing.B) []idvBench {
	return []idvBench{
		{"veriff", "veriff/decision_approved.json", "X-Hmac-Signature", "sha256",
			provisioned(b, &Veriff{Secrets: []string{"bench-secret-0123456789"}, APIKey: "bench-api-key-0123456789"}), map[string]string{"X-Auth-Client": "bench-api-key-0123456789"}},
		{"onfido", "onfido/workflow_run.completed.approved.json", "X-Sha2-Signature", "sha256", provisioned(b, &Onfido{Secrets: []string{"bench-secret-0123456789"}}), nil},
		{"idenfy", "idenfy/approved.json", "Idenfy-Signature", "sha256", provisioned(b, &IDenfy{Secrets: []string{"bench-secret-0123456789"}}), nil},
		{"metamap", "metamap/step_completed_liveness.json", "X-Signature", "sha256", provisioned(b, &MetaMap{Secrets: []string{"bench-secret-0123456789"}}), nil},
		{"sumsub", "sumsub/applicantReviewed.red_final.json", "X-Payload-Digest", "sha256", provisioned(b, &Sumsub{Secrets: []string{"bench-secret-0123456789"}}),
			map[string]string{"X-Payload-Digest-Alg": "HMAC_SHA256_HEX"}},
		{"sumsub_sha512", "sumsub/applicantReviewed.red_final.json", "X-Payload-Digest", "sha512",
			provisioned(b, &Sumsub{Secrets: []string{"bench-secret-0123456789"}, Algorithm: "sha512"}), map[string]string{"X-Payload-Digest-Alg": "HMAC_SHA512_HEX"}},
		{"didit", "didit/status.updated.approved.json", "X-Signature", "sha256", provisioned(b, &Didit{Secrets: []string{"bench-secret-0123456789"}}),
			map[string]string{"X-Timestamp": strconv.FormatInt(time.Now().Unix(), 10)}},
	}
}

func (c idvBench) request(b *testing.B) (*http.Request, []byte) {
	body := benchFixture(b, "", c.fixture)
	scheme, err := verify.NewBodyHMAC(c.algorithm, "hex", "")
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/"+c.name, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(c.header, scheme.Sign([]byte("bench-secret-0123456789"), body))
	for k, v := range c.extra {
		r.Header.Set(k, v)
	}
	return r, body
}

// hmacFloor is the bare primitive: the hex signature decoded and compared
// with the HMAC of the same body, keyed per call.
func hmacFloor(b *testing.B, algorithm, sig string, body []byte) {
	h := map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}[algorithm]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		want, _ := hex.DecodeString(sig)
		m := hmac.New(h, []byte("bench-secret-0123456789"))
		m.Write(body)
		if !hmac.Equal(m.Sum(nil), want) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkIDVVerify is each body-HMAC IDV vendor's check of a delivery
// (VerifyHeaders on the head, then Verify on the body), beside its floor.
//
//	go test -run '^$' -bench 'IDVVerify' -benchmem ./vendors/
func BenchmarkIDVVerify(b *testing.B) {
	for _, c := range idvBenches(b) {
		r, body := c.request(b)
		head := c.vendor.(interface{ VerifyHeaders(*Delivery) error })
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				d := &Delivery{Request: r, Body: body, Received: time.Now()}
				if err := head.VerifyHeaders(d); err != nil {
					b.Fatal(err)
				}
				if err := c.vendor.Verify(d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/floor", func(b *testing.B) { hmacFloor(b, c.algorithm, r.Header.Get(c.header), body) })
	}
}

// BenchmarkIDVPath is what the handler does per delivery for each vendor:
// Verify, Normalize and Encode, beside the floor of BenchmarkVendorPath
// (the HMAC plus an encoding/json Unmarshal and Marshal of the payload).
//
//	go test -run '^$' -bench 'IDVPath' -benchmem ./vendors/
func BenchmarkIDVPath(b *testing.B) {
	for _, c := range idvBenches(b) {
		r, body := c.request(b)
		b.Run(c.name, func(b *testing.B) { benchVendor(b, c.vendor, body, r.Header, r.URL.String()) })
		b.Run(c.name+"/floor", func(b *testing.B) {
			benchFloor(b, body, func(body []byte) {
				m := hmac.New(sha256.New, []byte("bench-secret-0123456789"))
				m.Write(body)
				m.Sum(nil)
			})
		})
	}
}
