package vendors

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/biohook/caddy-biohook/verify"
)

// bodySigned is one vendor built on bodySignature, with what a genuine
// delivery carries besides the signature.
type bodySigned struct {
	name      string
	vendor    func(t testing.TB, secrets ...string) Vendor
	header    string
	algorithm string
	extra     map[string]string // other headers a genuine delivery has
}

func bodySignedVendors() []bodySigned {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	return []bodySigned{
		{"hmac", func(t testing.TB, s ...string) Vendor {
			return provisioned(t, &HMAC{Header: "X-Hub-Signature-256", Prefix: "sha256=", Secrets: s})
		}, "X-Hub-Signature-256", "sha256", nil},
		{"veriff", func(t testing.TB, s ...string) Vendor {
			return provisioned(t, &Veriff{Secrets: s, APIKey: "veriff-api-key-0001"})
		}, "X-HMAC-SIGNATURE", "sha256", map[string]string{"X-AUTH-CLIENT": "veriff-api-key-0001"}},
		{"onfido", func(t testing.TB, s ...string) Vendor { return provisioned(t, &Onfido{Secrets: s}) }, "X-SHA2-Signature", "sha256", nil},
		{"idenfy", func(t testing.TB, s ...string) Vendor { return provisioned(t, &IDenfy{Secrets: s}) }, "Idenfy-Signature", "sha256", nil},
		{"metamap", func(t testing.TB, s ...string) Vendor { return provisioned(t, &MetaMap{Secrets: s}) }, "x-signature", "sha256", nil},
		{"sumsub", func(t testing.TB, s ...string) Vendor {
			return provisioned(t, &Sumsub{Secrets: s, Algorithm: "sha512"})
		}, "X-Payload-Digest", "sha512", map[string]string{"X-Payload-Digest-Alg": "HMAC_SHA512_HEX"}},
		{"didit", func(t testing.TB, s ...string) Vendor { return provisioned(t, &Didit{Secrets: s}) }, "X-Signature", "sha256",
			map[string]string{"X-Timestamp": now}},
	}
}

// sign returns a delivery of body signed with key as the vendor does.
func (b bodySigned) sign(t testing.TB, key string, body []byte) *Delivery {
	t.Helper()
	prefix := ""
	if b.name == "hmac" {
		prefix = "sha256="
	}
	scheme, err := verify.NewBodyHMAC(b.algorithm, "hex", prefix)
	if err != nil {
		t.Fatal(err)
	}
	d := jsonDelivery(body)
	d.Request.Header.Set(b.header, scheme.Sign([]byte(key), body))
	for k, v := range b.extra {
		d.Request.Header.Set(k, v)
	}
	return d
}

// Every vendor built on bodySignature refuses the same way: the same
// reasons for the same faults, with either secret of a rotation verifying,
// whether the head was checked first (before the body is read) or not.
func TestBodySignatureVendors(t *testing.T) {
	body := []byte(`{"status":"approved","id":"x"}`)
	for _, b := range bodySignedVendors() {
		t.Run(b.name, func(t *testing.T) {
			v := b.vendor(t, "old-body-secret-01", "new-body-secret-01")
			head, _ := v.(interface{ VerifyHeaders(*Delivery) error })
			if head == nil {
				t.Fatal("no VerifyHeaders")
			}
			genuine := func() *Delivery { return b.sign(t, "new-body-secret-01", body) }
			cases := []struct {
				name string
				d    func() *Delivery
				code string
			}{
				{"new secret", genuine, ""},
				{"old secret", func() *Delivery { return b.sign(t, "old-body-secret-01", body) }, ""},
				{"upper-case hex", func() *Delivery {
					d := genuine()
					d.Request.Header.Set(b.header, strings.ToUpper(d.Request.Header.Get(b.header)))
					if b.name == "hmac" {
						d.Request.Header.Set(b.header, "sha256="+strings.ToUpper(strings.TrimPrefix(genuine().Request.Header.Get(b.header), "sha256=")))
					}
					return d
				}, ""},
				{"other secret", func() *Delivery { return b.sign(t, "not-the-body-secret", body) }, "signature_mismatch"},
				{"tampered body", func() *Delivery {
					d := genuine()
					d.Body = bytes.Replace(d.Body, []byte("approved"), []byte("approvee"), 1)
					return d
				}, "signature_mismatch"},
				{"missing", func() *Delivery {
					d := genuine()
					d.Request.Header.Del(b.header)
					return d
				}, "missing_signature"},
				{"twice", func() *Delivery {
					d := genuine()
					d.Request.Header.Add(b.header, d.Request.Header.Get(b.header))
					return d
				}, "duplicate_header"},
				{"not hex", func() *Delivery {
					d := genuine()
					d.Request.Header.Set(b.header, "zz"+d.Request.Header.Get(b.header)[2:])
					return d
				}, "malformed_signature"},
				{"empty", func() *Delivery {
					d := genuine()
					d.Request.Header.Set(b.header, "")
					return d
				}, "malformed_signature"},
				{"truncated", func() *Delivery {
					d := genuine()
					s := d.Request.Header.Get(b.header)
					d.Request.Header.Set(b.header, s[:len(s)-2])
					return d
				}, "signature_mismatch"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					assertCode(t, v.Verify(c.d()), c.code)
					d := c.d()
					if err := head.VerifyHeaders(d); err != nil {
						assertCode(t, err, c.code)
						return
					}
					assertCode(t, v.Verify(d), c.code)
				})
			}
			if err := b.vendor(t, "old-body-secret-01").(CredentialHeaderer).CredentialHeaders(); !containsFold(err, b.header) {
				t.Errorf("CredentialHeaders %v does not name %s", err, b.header)
			}
		})
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Every vendor built on bodySignature refuses to start without a secret, or
// with one that resolves to nothing.
func TestBodySignatureVendorsNeedASecret(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_EMPTY", "")
	for _, secrets := range [][]string{nil, {""}, {"{env.BIOHOOK_TEST_EMPTY}"}, {"{env.BIOHOOK_TEST_UNSET_VARIABLE}"}} {
		for name, v := range map[string]caddy.Provisioner{
			"hmac": &HMAC{Header: "X-Sig", Secrets: secrets}, "veriff": &Veriff{Secrets: secrets},
			"onfido": &Onfido{Secrets: secrets}, "idenfy": &IDenfy{Secrets: secrets}, "metamap": &MetaMap{Secrets: secrets},
			"sumsub": &Sumsub{Secrets: secrets}, "didit": &Didit{Secrets: secrets},
		} {
			if err := v.Provision(testContext(t)); err == nil {
				t.Errorf("%s with secrets %q provisioned", name, secrets)
			}
		}
	}
}

// The field-derived ids: the same fields give the same id; fields that
// concatenate alike do not.
func TestFieldsID(t *testing.T) {
	if fieldsID("v", "ab", "c") == fieldsID("v", "a", "bc") || fieldsID("v", "a", "") == fieldsID("v", "a") ||
		fieldsID("v", "x") == fieldsID("w", "x") {
		t.Fatal("ambiguous field ids")
	}
	if id := fieldsID("v", "a", "b"); id != fieldsID("v", "a", "b") || len(id) != 32 {
		t.Fatalf("id %q", id)
	}
}

func TestFlexTime(t *testing.T) {
	for in, want := range map[string]string{
		"1700000000":                "2023-11-14T22:13:20Z",
		"1700000000123":             "2023-11-14T22:13:20.123Z",
		"1700000000.5":              "2023-11-14T22:13:20.5Z",
		"2023-11-14T23:13:20+01:00": "2023-11-14T22:13:20Z",
		"2023-11-14T22:13:20.000Z":  "2023-11-14T22:13:20Z",
		"":                          "",
		"-1":                        "",
		"1e999":                     "",
		"yesterday":                 "",
		"2023-11-14":                "",
	} {
		if got := flexTime(in); got != want {
			t.Errorf("flexTime(%q) = %q, want %q", in, got, want)
		}
	}
}
