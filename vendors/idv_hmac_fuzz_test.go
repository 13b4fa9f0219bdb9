package vendors

import (
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// fuzzIDV runs arbitrary bodies through an IDV vendor's Normalize (see
// fuzzNormalize) and holds its lenient reading to one rule: a body is
// refused exactly when it is not one valid JSON object. A field of another
// type than documented never refuses a delivery that has proved itself.
func fuzzIDV(f *testing.F, vendor string, v Vendor) {
	for _, s := range []string{
		`{"verification":{"person":"x","document":[1],"biometricAuthentication":null},"id":{"a":1}}`,
		`{"payload":{"object":[],"resource":{"reasons":"r","error":"e"}}}`,
		`{"final":"TRUE","status":{"overall":1},"data":[]}`,
		`{"metadata":{"userId":[1]},"step":{"error":"x"},"timestamp":1e999}`,
		`{"reviewResult":{"rejectLabels":[1,{"a":2},null,"X"]},"createdAtMs":"2023-11-14 22:13:20.000"}`,
		`{"decision":{"liveness_checks":[1,{"score":"55"},[]],"face_matches":{"score":1},"face_match":[{"score":2}]}}`,
		`{"a":[` + `]}`, `[]`, `"x"`, `{}`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":[1,]}`,
	} {
		f.Add([]byte(s))
	}
	fuzzNormalize(f, vendor, fuzzIDVRule{v})
}

// fuzzIDVRule wraps a vendor so that fuzzNormalize's target also checks
// the acceptance rule.
type fuzzIDVRule struct{ Vendor }

func (r fuzzIDVRule) Normalize(d *Delivery) (*Event, error) {
	ev, err := r.Vendor.Normalize(d)
	object := jsontext.Value(d.Body).IsValid() && jsontext.Value(d.Body).Kind() == '{'
	if (err == nil) != object {
		panic("accepted " + string(d.Body) + " (" + errString(err) + ")")
	}
	return ev, err
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func FuzzVeriffNormalize(f *testing.F) {
	fuzzIDV(f, "veriff", provisioned(f, &Veriff{Secrets: []string{"k-test-secret-0001"}}))
}

func FuzzOnfidoNormalize(f *testing.F) {
	fuzzIDV(f, "onfido", provisioned(f, &Onfido{Secrets: []string{"k-test-secret-0001"}}))
}

func FuzzIDenfyNormalize(f *testing.F) {
	fuzzIDV(f, "idenfy", provisioned(f, &IDenfy{Secrets: []string{"k-test-secret-0001"}}))
}

func FuzzMetaMapNormalize(f *testing.F) {
	fuzzIDV(f, "metamap", provisioned(f, &MetaMap{Secrets: []string{"k-test-secret-0001"}}))
}

func FuzzSumsubNormalize(f *testing.F) {
	fuzzIDV(f, "sumsub", provisioned(f, &Sumsub{Secrets: []string{"k-test-secret-0001"}}))
}

func FuzzDiditNormalize(f *testing.F) {
	fuzzIDV(f, "didit", provisioned(f, &Didit{Secrets: []string{"k-test-secret-0001"}}))
}
