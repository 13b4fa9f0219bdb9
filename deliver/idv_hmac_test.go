package deliver_test

import (
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
	"github.com/biohook/caddy-biohook/vendors"
)

// The six body-HMAC IDV vendors' deliveries, built here, verify with their
// vendor modules under either secret of a rotation; another key fails.
// Sumsub's algorithm and Veriff's API key are the route's settings; Didit's
// X-Timestamp is the delivery's time.
func TestBuiltIDVDeliveriesVerify(t *testing.T) {
	secrets := []string{"old-body-secret-01", "new-body-secret-01"}
	cases := []struct {
		vendor   string
		settings map[string]string
		module   func() vendors.Vendor
	}{
		{"veriff", map[string]string{"api_key": "veriff-api-key-0001"}, func() vendors.Vendor { return &vendors.Veriff{Secrets: secrets, APIKey: "veriff-api-key-0001"} }},
		{"onfido", nil, func() vendors.Vendor { return &vendors.Onfido{Secrets: secrets} }},
		{"idenfy", nil, func() vendors.Vendor { return &vendors.IDenfy{Secrets: secrets} }},
		{"metamap", nil, func() vendors.Vendor { return &vendors.MetaMap{Secrets: secrets} }},
		{"sumsub", nil, func() vendors.Vendor { return &vendors.Sumsub{Secrets: secrets} }},
		{"sumsub", map[string]string{"algorithm": "sha512"}, func() vendors.Vendor { return &vendors.Sumsub{Secrets: secrets, Algorithm: "sha512"} }},
		{"sumsub", map[string]string{"algorithm": "sha1"}, func() vendors.Vendor { return &vendors.Sumsub{Secrets: secrets, Algorithm: "sha1"} }},
		{"didit", nil, func() vendors.Vendor { return &vendors.Didit{Secrets: secrets} }},
	}
	for _, c := range cases {
		v := provision(t, c.module())
		for _, key := range secrets {
			check(t, v, build(t, deliver.Options{Vendor: c.vendor, Secrets: []string{key}, Settings: c.settings}), "")
		}
		check(t, v, build(t, deliver.Options{Vendor: c.vendor, Secrets: []string{"other"}, Settings: c.settings}), "signature_mismatch")
	}
	// A Sumsub sender on another hash than the route's is refused by name.
	sha256Route := provision(t, &vendors.Sumsub{Secrets: secrets})
	check(t, sha256Route, build(t, deliver.Options{Vendor: "sumsub", Secrets: secrets, Settings: map[string]string{"algorithm": "sha1"}}), "algorithm_mismatch")
	if _, err := deliver.Build(deliver.Options{Vendor: "sumsub", URL: url, Secrets: secrets, Settings: map[string]string{"algorithm": "md5"}}); err == nil {
		t.Error("sumsub built with md5")
	}
	// Veriff without the API key the route wants; Didit sent an hour ago.
	veriff := provision(t, &vendors.Veriff{Secrets: secrets, APIKey: "veriff-api-key-0001"})
	check(t, veriff, build(t, deliver.Options{Vendor: "veriff", Secrets: secrets}), "missing_api_key")
	didit := provision(t, &vendors.Didit{Secrets: secrets})
	check(t, didit, build(t, deliver.Options{Vendor: "didit", Secrets: secrets, Now: time.Now().Add(-time.Hour)}), "stale_signature")
}
