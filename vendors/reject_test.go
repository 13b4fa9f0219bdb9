package vendors

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// A payload that cannot be decoded is refused with an error that says what
// is wrong and where, in the module's words, never quoting the payload.
func TestPayloadErrorsQuoteNothing(t *testing.T) {
	faceio := provisioned(t, &FACEIO{Secrets: []string{"faceio-webhook-token"}})
	entrust := provisioned(t, &Entrust{Secrets: []string{"entrust-webhook-token"}})
	incode := provisioned(t, &Incode{Headers: StaticHeaders{"X-Incode-Key": {"incode-header-key-0123"}}})
	argos := provisioned(t, &ARGOS{PathTokens: []string{"argos-path-token-0123"}})
	hmacRoute := provisioned(t, &HMAC{Header: "X-Sig", Secrets: []string{"hmac-shared-secret-01"}, Mapping: &Mapping{ID: "/leak_id"}})
	for _, c := range []struct {
		name   string
		v      Vendor
		body   string
		what   string
		offset string
		is     error
	}{
		{"duplicate name", faceio, `{"eventName":"AUTH","leak_a":1,"leak_a":2}`, "a duplicate member name", "at byte 31", jsontext.ErrDuplicateName},
		{"bad literal in a member", faceio, `{"eventName":"AUTH","leak_b":{"leak_c":tru}}`, "an invalid character", "at byte ", nil},
		{"number out of range", incode, `{"overallStatus":"PASS","spoofConfidence":7.77e777}`, "a JSON number where the module reads a float64", "at byte 42", nil},
		{"string for a bool", incode, `{"faceMatch":"leak_d"}`, "a JSON string where the module reads a bool", "at byte 13", nil},
		{"invalid UTF-8", incode, "{\"customerId\":\"leak_e\xff\"}", "invalid UTF-8", "at byte ", nil},
		{"cut short", entrust, `{"id":"1","type":"leak_f","data":{"leak_g":`, "the payload ends early", "", io.ErrUnexpectedEOF},
		{"duplicate in the walk", entrust, `{"id":"1","type":"t","data":{"leak_h":1,"leak_h":2}}`, "a duplicate member name", "at byte ", jsontext.ErrDuplicateName},
		{"after the payload", entrust, `{"id":"1","type":"t"} leak_i`, "", "", nil},
		{"argos", argos, `{"webhook_trigger":"approved","leak_j":[1,}`, "an invalid character", "at byte ", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery([]byte(c.body))
			d.Request.URL.Path = "/hooks/argos/argos-path-token-0123"
			var err error
			if c.v == argos {
				_, err = argosProcess(argos, argosRequest([]byte(c.body), "/hooks/argos/argos-path-token-0123", ""))
			} else {
				_, err = c.v.Normalize(d)
			}
			rej := AsRejection(err)
			msg := rej.Error()
			if rej.Status != 400 || !strings.HasPrefix(msg, "invalid_json: "+c.what) || !strings.Contains(msg, c.offset) {
				t.Errorf("%d %q", rej.Status, msg)
			}
			if strings.Contains(msg, "leak_") || strings.Contains(msg, "7.77") || strings.Contains(msg, `"`) {
				t.Errorf("the error quotes the payload: %s", msg)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("%v is not %v", err, c.is)
			}
		})
	}
	// The generic vendors read their payload only after checking it is
	// valid, and say so without quoting it either.
	_, err := hmacRoute.Normalize(jsonDelivery([]byte(`{"leak_id":`)))
	if msg := AsRejection(err).Error(); strings.Contains(msg, "leak_") {
		t.Errorf("hmac: %s", msg)
	}
}
