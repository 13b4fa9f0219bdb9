package vendors

import "testing"

// The secrets the IDV vendors' fixtures are normalised with in the goldens
// (Normalize does not check them).
func init() {
	goldenVendors["veriff"] = func(t testing.TB) Vendor { return provisioned(t, &Veriff{Secrets: []string{"k"}}) }
	goldenVendors["onfido"] = func(t testing.TB) Vendor { return provisioned(t, &Onfido{Secrets: []string{"k"}}) }
	goldenVendors["idenfy"] = func(t testing.TB) Vendor { return provisioned(t, &IDenfy{Secrets: []string{"k"}}) }
	goldenVendors["metamap"] = func(t testing.TB) Vendor { return provisioned(t, &MetaMap{Secrets: []string{"k"}}) }
	goldenVendors["sumsub"] = func(t testing.TB) Vendor { return provisioned(t, &Sumsub{Secrets: []string{"k"}}) }
	goldenVendors["didit"] = func(t testing.TB) Vendor { return provisioned(t, &Didit{Secrets: []string{"k"}}) }
}
