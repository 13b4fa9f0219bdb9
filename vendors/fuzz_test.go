package vendors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// fuzzNormalize runs arbitrary bodies through a vendor's Normalize: it must
// never panic, and whatever it accepts must encode as valid JSON (the raw
// payload is copied into the event as received, so a vendor that accepted
// invalid JSON would break the event).
func fuzzNormalize(f *testing.F, vendor string, v Vendor) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", vendor, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"eventName":"AUTH","facialId":1,"details":[]}`))
	f.Add([]byte(`{"id":"1","type":"x","data":{"entityAttributes":"s"}} trailing`))
	f.Add([]byte(`{"id":"1","id":"2","type":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := v.Normalize(jsonDelivery(body))
		if err != nil {
			AsRejection(err) // every error is a rejection or becomes a 500
			return
		}
		out, err := ev.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		if !jsontext.Value(out).IsValid() {
			t.Fatalf("invalid event JSON for body %q:\n%s", body, out)
		}
	})
}

func FuzzFACEIONormalize(f *testing.F) {
	fuzzNormalize(f, "faceio", provisioned(f, &FACEIO{Secrets: []string{"t"}}))
}

func FuzzEntrustNormalize(f *testing.F) {
	fuzzNormalize(f, "entrust", provisioned(f, &Entrust{Secrets: []string{"t"}}))
}

// FuzzEntrustEnvelope holds the one-pass walk to json.Unmarshal into the
// same struct: both refuse a document, or both read the same fields.
func FuzzEntrustEnvelope(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "entrust", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"id":"1","type":"x","data":{"entityAttributes":"s"}} trailing`,
		`{"id":"1","id":"2","type":"x"}`,
		`{"i\u0064":"1","type":2.50,"data":null,"eventTime":{"a":[1]}}`,
		`{"id":"1","data":{"subject":true,"entityAttributes":{"email":null,"userId":[1,2]}}}`,
		`{"ID":"1","Type":"x"}`, `[]`, `null`, `{"data":[]}`, `{"data":"x"}`, "{\"id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var walked, unmarshalled entrustEnvelope
		walkErr := walked.read(body)
		refErr := json.Unmarshal(body, &unmarshalled)
		if (walkErr == nil) != (refErr == nil) {
			t.Fatalf("walk: %v; json.Unmarshal: %v; body %q", walkErr, refErr, body)
		}
		if walkErr == nil && walked != unmarshalled {
			t.Fatalf("walk read %+v, json.Unmarshal %+v; body %q", walked, unmarshalled, body)
		}
	})
}
