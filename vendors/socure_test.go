package vendors

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	goldenVendors["socure"] = func(t testing.TB) Vendor {
		return provisioned(t, &Socure{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}})
	}
}

func TestSocureVerify(t *testing.T) {
	s := provisioned(t, &Socure{AuthCredentials: AuthCredentials{
		Basic: []BasicCredential{{"riskos", "riskos-password-01"}}, Bearer: []string{"2b0c7e1d-9f2a-4c3b-8e6d-1a2b3c4d5e6f"}}})
	body := []byte(`{"event_type":"evaluation_completed"}`)
	cases := map[string]string{
		basicHeader("riskos", "riskos-password-01"):   "",
		"Bearer 2b0c7e1d-9f2a-4c3b-8e6d-1a2b3c4d5e6f": "",
		"Bearer 2b0c7e1d-9f2a-4c3b-8e6d-1a2b3c4d5e6e": "credential_mismatch",
		basicHeader("riskos", "riskos-passworD-01"):   "credential_mismatch",
		"Basic %%%": "malformed_credentials",
		"OAuth x":   "unsupported_scheme",
	}
	for header, code := range cases {
		d := jsonDelivery(body)
		d.Request.Header.Set("Authorization", header)
		assertCode(t, s.Verify(d), code)
		assertCode(t, s.VerifyHeaders(d), code)
	}
	if err := (&Socure{}).Provision(testContext(t)); err == nil || !strings.Contains(err.Error(), "no socure credential") {
		t.Fatalf("a Socure route without a credential must not start: %v", err)
	}
}

// The decision gives the outcome; Selfie Reverification is told by its
// enrichment's name, however it is spelled.
func TestSocureNormalize(t *testing.T) {
	s := provisioned(t, &Socure{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}})
	cases := []struct {
		body    string
		kind    Kind
		outcome Outcome
	}{
		{`{"event_type":"evaluation_completed","data":{"decision":"ACCEPT"}}`, KindVerification, OutcomeApproved},
		{`{"event_type":"evaluation_completed","data":{"decision":"reject"}}`, KindVerification, OutcomeRejected},
		{`{"event_type":"evaluation_completed","data":{"decision":"RESUBMIT"}}`, KindVerification, OutcomePending},
		{`{"event_type":"evaluation_completed","data":{"decision":"MY_OWN"}}`, KindVerification, OutcomePending},
		{`{"event_type":"case_notes_added","data":{"notes":"Capture App Opened"}}`, KindVerification, OutcomePending},
		{`{"event_type":"workflow_execution_failed","data":{"decision":"ACCEPT"}}`, KindVerification, OutcomeNone},
		{`{"event_type":"evaluation_completed","data":{"decision":"ACCEPT","data_enrichments":[{"enrichment_name":"Socure Document Request"},{"enrichment_name":"selfie_reverification"}]}}`, KindAuthentication, OutcomeApproved},
		{`{"event_type":"evaluation_completed","data":{"decision":"REJECT","data_enrichments":[{"enrichment_name":"Socure SELFIE-Reverification v2"}]}}`, KindAuthentication, OutcomeRejected},
		{`{"event_type":"evaluation_completed","data":{"decision":"ACCEPT","data_enrichments":[{"enrichment_name":"Selfie Intelligence"},{"enrichment_name":null},{}]}}`, KindVerification, OutcomeApproved},
	}
	for _, c := range cases {
		ev, err := s.Normalize(jsonDelivery([]byte(c.body)))
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if ev.Data.Kind != c.kind || ev.Data.Outcome != c.outcome {
			t.Errorf("%s: %s %s, want %s %s", c.body, ev.Data.Kind, ev.Data.Outcome, c.kind, c.outcome)
		}
		if (ev.Data.Kind == KindAuthentication) != (ev.Type == TypeIdentityAuthentication) {
			t.Errorf("%s: type %s", c.body, ev.Type)
		}
	}
	// Without an event_id, the id is the body's digest.
	body := []byte(`{"event_type":"x"}`)
	if ev, _ := s.Normalize(jsonDelivery(body)); ev.ID != DerivedID("socure", body) {
		t.Errorf("id %s", ev.ID)
	}
}

func TestSocureNormalizeStrict(t *testing.T) {
	s := provisioned(t, &Socure{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}})
	cases := map[string]string{
		`{"event_type":"x","data":{"extra":[1,{"a":null}],"tags":["t"]}}`:            "",
		`{"event_type":"x","event_id":null,"data":null}`:                             "",
		`{"event_type":"x","event_id":7}`:                                            "invalid_json",
		`{"event_type":"x","event_at":1700000000}`:                                   "invalid_json",
		`{"event_type":"x","data":"s"}`:                                              "invalid_json",
		`{"event_type":"x","data":{"decision":true}}`:                                "invalid_json",
		`{"event_type":"x","data":{"id":1}}`:                                         "invalid_json",
		`{"event_type":"x","data":{"data_enrichments":{}}}`:                          "invalid_json",
		`{"event_type":"x","data":{"data_enrichments":[{"enrichment_name":["a"]}]}}`: "invalid_json",
		`{"event_id":"1"}`:  "invalid_payload",
		`{"event_type":""}`: "invalid_payload",
	}
	for body, code := range cases {
		_, err := s.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
}

func TestSocureCaddyfile(t *testing.T) {
	var s Socure
	if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser("socure {\n\tbearer {env.T}\n\tbasic u {env.P}\n}")); err != nil {
		t.Fatal(err)
	}
	if len(s.Bearer) != 1 || len(s.Basic) != 1 {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []string{"socure {\n\toauth x\n}", "socure {\n\tsecret x\n}", "socure {\n\tbearer\n}"} {
		if err := new(Socure).UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestContainsFoldLetters(t *testing.T) {
	for s, want := range map[string]bool{
		"Selfie Reverification": true, "SELFIE_REVERIFICATION": true, "x selfie-reverification y": true,
		"selfiereverification": true, "Selfie  Re verification": true, "selfie": false, "Selfie Verification": false,
		"": false, "sélfie reverification": false, " _selfie reverification": true,
	} {
		if containsFoldLetters(s, "selfiereverification") != want {
			t.Errorf("%q: want %v", s, want)
		}
	}
}
