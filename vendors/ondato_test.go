package vendors

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	goldenVendors["ondato"] = func(t testing.TB) Vendor { return provisioned(t, &Ondato{}) }
}

func TestOndatoSourceCheckRequired(t *testing.T) {
	bare := provisioned(t, &Ondato{})
	if r := bare.SourceCheckRequired(); !strings.Contains(r, "Ondato documents no signature") || !strings.Contains(r, "docs/ondato.md") {
		t.Errorf("reason %q", r)
	}
	withHeader := provisioned(t, &Ondato{Headers: StaticHeaders{"X-Proxy-Secret": {"ondato-proxy-secret-01"}}})
	if r := withHeader.SourceCheckRequired(); r != "" {
		t.Errorf("a header is a check: %q", r)
	}
	d := jsonDelivery([]byte(`{}`))
	assertCode(t, withHeader.Verify(d), "missing_header")
	d.Request.Header.Add("X-Proxy-Secret", "ondato-proxy-secret-01")
	assertCode(t, withHeader.VerifyHeaders(d), "")
	d.Request.Header.Add("X-Proxy-Secret", "ondato-proxy-secret-01")
	assertCode(t, withHeader.VerifyHeaders(d), "duplicate_header")
}

func TestOndatoNormalize(t *testing.T) {
	o := provisioned(t, &Ondato{})
	cases := []struct {
		typ      string
		kind     Kind
		outcome  Outcome
		resource string
	}{
		{"KycIdentification.Approved", KindVerification, OutcomeApproved, "kyc_identification"},
		{"KycIdentification.Rejected", KindVerification, OutcomeRejected, "kyc_identification"},
		{"KycIdentification.Created", KindVerification, OutcomePending, "kyc_identification"},
		{"KycIdentification.Processed", KindVerification, OutcomePending, "kyc_identification"},
		{"KycIdentification.Updated", KindVerification, OutcomeNone, "kyc_identification"},
		{"KybIdentification.Approved", KindVerification, OutcomeApproved, "kyb_identification"},
		{"KybIdentification.Document.Uploaded", KindVerification, OutcomeNone, "kyb_identification"},
		{"IdentityVerification.StatusChanged", KindVerification, OutcomePending, "identity_verification"},
		{"Idv.Consented", KindVerification, OutcomePending, "identity_verification"},
		{"Form.Created", KindOther, OutcomeNone, "form"},
		{"Something.Approved", KindOther, OutcomeNone, ""},
		{"KycIdentification", KindVerification, OutcomeNone, "kyc_identification"},
		{"kycidentification.approved", KindOther, OutcomeNone, ""},
	}
	for _, c := range cases {
		ev, err := o.Normalize(jsonDelivery([]byte(`{"id":"w1","type":"` + c.typ + `","payload":{"id":"r1"}}`)))
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		got := ""
		if ev.Data.Resource != nil {
			got = ev.Data.Resource.Type
		}
		if ev.Data.Kind != c.kind || ev.Data.Outcome != c.outcome || got != c.resource || ev.ID != "w1" || ev.Data.VendorEvent != c.typ {
			t.Errorf("%s: %s %s %q %s", c.typ, ev.Data.Kind, ev.Data.Outcome, got, ev.ID)
		}
	}
	for in, want := range map[string]string{
		"2022-07-26T07:16:41.873Z":      "2022-07-26T07:16:41.873Z",
		"2022-07-26T07:16:41.873":       "2022-07-26T07:16:41.873Z",
		"2022-07-26T09:16:41.873+02:00": "2022-07-26T07:16:41.873Z",
		"26/07/2022":                    "",
		"":                              "",
	} {
		if got := ondatoTime(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// The envelope is read in either spelling Ondato documents; one member in
// both is refused; members read must have their type; type is required.
func TestOndatoNormalizeStrict(t *testing.T) {
	o := provisioned(t, &Ondato{})
	cases := map[string]string{
		`{"type":"Form.Created","payload":{"setup":{"id":"x"},"status":3},"isDelivered":true}`: "",
		`{"Type":"Form.Created","Payload":null,"Id":null}`:                                     "",
		`{"type":"Form.Created","Type":"KycIdentification.Approved"}`:                          "invalid_json",
		`{"type":"Form.Created","payload":{"id":"a","Id":"b"}}`:                                "invalid_json",
		`{"type":7}`:                                         "invalid_json",
		`{"type":"x","id":1}`:                                "invalid_json",
		`{"type":"x","createdUtc":1658819801}`:               "invalid_json",
		`{"type":"x","payload":"p"}`:                         "invalid_json",
		`{"type":"x","payload":{"externalReferenceId":123}}`: "invalid_json",
		`{"id":"1","payload":{}}`:                            "invalid_payload",
	}
	for body, code := range cases {
		_, err := o.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
}

func TestOndatoCaddyfile(t *testing.T) {
	if err := new(Ondato).UnmarshalCaddyfile(caddyfile.NewTestDispenser("ondato {\n\theader X-A b\n}")); err != nil {
		t.Fatal(err)
	}
	if err := new(Ondato).UnmarshalCaddyfile(caddyfile.NewTestDispenser("ondato {\n\tsecret x\n}")); err == nil {
		t.Error("unknown option accepted")
	}
}
