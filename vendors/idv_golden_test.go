package vendors

import "testing"

// The secrets the IDV vendors' fixtures are normalised with in the goldens
// (Normalize does not check them).
func init() {
	goldenVendors["veriff"] = func(t testing.TB) Vendor { return provisioned(t, &Veriff{Secrets: []string{"k-test-secret-0001"}}) }
	goldenVendors["onfido"] = func(t testing.TB) Vendor { return provisioned(t, &Onfido{Secrets: []string{"k-test-secret-0001"}}) }
	goldenVendors["idenfy"] = func(t testing.TB) Vendor { return provisioned(t, &IDenfy{Secrets: []string{"k-test-secret-0001"}}) }
	goldenVendors["metamap"] = func(t testing.TB) Vendor { return provisioned(t, &MetaMap{Secrets: []string{"k-test-secret-0001"}}) }
	goldenVendors["sumsub"] = func(t testing.TB) Vendor { return provisioned(t, &Sumsub{Secrets: []string{"k-test-secret-0001"}}) }
	goldenVendors["didit"] = func(t testing.TB) Vendor { return provisioned(t, &Didit{Secrets: []string{"k-test-secret-0001"}}) }
}
