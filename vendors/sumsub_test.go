package vendors

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Sumsub publishes no vector; these are computed with the documented
// algorithm (hex HMAC of the raw body, the hash named in
// X-Payload-Digest-Alg) by Python's hmac and OpenSSL, for each hash. The
// body is testdata/sumsub/applicantReviewed.green.json.
func TestSumsubSelfDerivedVectors(t *testing.T) {
	body := []byte(`{"applicantId":"5cb56e8e0a975a35f333cb83","inspectionId":"5cb56e8e0a975a35f333cb84","correlationId":"req-a1b2c3",` +
		`"externalUserId":"user-42","levelName":"basic-kyc-level","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"},` +
		`"reviewStatus":"completed","createdAtMs":"2023-11-14 22:13:20.000"}`)
	vectors := map[string]struct{ alg, sig string }{
		"sha1":   {"HMAC_SHA1_HEX", "56f70ee5b2496a440ec0cda6b4d5d8f9b59505cf"},
		"sha256": {"HMAC_SHA256_HEX", "cb14764f0fcfd88784696c17402b14537909d608598759b4b76693b28f1f2c00"},
		"sha512": {"HMAC_SHA512_HEX", "b02435c918299fcc79659a0149d9d2bb3ca48d44201ca6ac746348790310a66c15dbe79ac70b1b68b1974974327856dd1e1debb4c995640d6dd9a488aced5874"},
	}
	for algorithm, vec := range vectors {
		s := provisioned(t, &Sumsub{Secrets: []string{"sumsub_test_secret"}, Algorithm: algorithm})
		d := jsonDelivery(body)
		d.Request.Header.Set("X-Payload-Digest", vec.sig)
		d.Request.Header.Set("X-Payload-Digest-Alg", vec.alg)
		assertCode(t, s.Verify(d), "")
		// Every other algorithm's vector, under its own name, is refused
		// by the name before any MAC is compared.
		for other, ov := range vectors {
			if other == algorithm {
				continue
			}
			d := jsonDelivery(body)
			d.Request.Header.Set("X-Payload-Digest", ov.sig)
			d.Request.Header.Set("X-Payload-Digest-Alg", ov.alg)
			assertCode(t, s.Verify(d), "algorithm_mismatch")
			// ... and under this algorithm's name, it is no match.
			d.Request.Header.Set("X-Payload-Digest-Alg", vec.alg)
			assertCode(t, s.Verify(d), "signature_mismatch")
		}
	}
	for _, f := range fixtures(t, "sumsub") {
		if f.name == "applicantReviewed.green" && string(f.delivery(t).Body) != string(body) {
			t.Error("testdata/sumsub/applicantReviewed.green.json is not the vector's body")
		}
	}
}

// The algorithm is the route's: X-Payload-Digest-Alg must name it, once;
// it never chooses the hash.
func TestSumsubAlgorithmPinned(t *testing.T) {
	body := []byte(`{"type":"applicantPending"}`)
	s := provisioned(t, &Sumsub{Secrets: []string{"k-test-secret-0001"}}) // sha256 by default
	sign := func(algs ...string) *Delivery {
		d := bodySigned{header: "X-Payload-Digest", algorithm: "sha256"}.sign(t, "k-test-secret-0001", body)
		for _, a := range algs {
			d.Request.Header.Add("X-Payload-Digest-Alg", a)
		}
		return d
	}
	assertCode(t, s.Verify(sign("HMAC_SHA256_HEX")), "")
	assertCode(t, s.Verify(sign("hmac_sha256_hex")), "")
	assertCode(t, s.Verify(sign()), "missing_algorithm")
	assertCode(t, s.Verify(sign("HMAC_SHA1_HEX")), "algorithm_mismatch")
	assertCode(t, s.Verify(sign("HMAC_SHA512_HEX")), "algorithm_mismatch")
	assertCode(t, s.Verify(sign("")), "algorithm_mismatch")
	assertCode(t, s.Verify(sign("HMAC_SHA256_HEX", "HMAC_SHA256_HEX")), "duplicate_header")
	d := sign("HMAC_SHA1_HEX")
	assertCode(t, s.VerifyHeaders(d), "algorithm_mismatch")
	if d.Scratch != nil {
		t.Fatal("a refused head left a MAC behind")
	}
	for _, alg := range []string{"md5", "SHA256", "HMAC_SHA256_HEX", "sha384"} {
		if err := (&Sumsub{Secrets: []string{"k-test-secret-0001"}, Algorithm: alg}).Provision(testContext(t)); err == nil {
			t.Errorf("algorithm %q provisioned", alg)
		}
	}
	d2 := caddyfile.NewTestDispenser("sumsub {\n secret k\n algorithm md5\n}")
	if err := new(Sumsub).UnmarshalCaddyfile(d2); err == nil {
		t.Error("the Caddyfile took algorithm md5")
	}
}

func TestSumsubNormalize(t *testing.T) {
	s := provisioned(t, &Sumsub{Secrets: []string{"k-test-secret-0001"}})
	want := map[string]struct {
		kind    Kind
		outcome Outcome
		errCode string
	}{
		"applicantReviewed.green":      {KindVerification, OutcomeApproved, ""},
		"applicantReviewed.red_final":  {KindVerification, OutcomeRejected, "FORGERY,SELFIE_MISMATCH"},
		"applicantReviewed.red_retry":  {KindVerification, OutcomePending, "BAD_PROOF_OF_IDENTITY"},
		"applicantPending":             {KindVerification, OutcomePending, ""},
		"applicantOnHold":              {KindVerification, OutcomePending, ""},
		"applicantCreated":             {KindVerification, OutcomePending, ""},
		"applicantActionReviewed":      {KindAuthentication, OutcomeApproved, ""},
		"applicantPersonalDataDeleted": {KindDeletion, OutcomeNone, ""},
	}
	checkFixtures(t, "sumsub", s, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || errCode(ev) != w.errCode {
			t.Errorf("kind %s outcome %s error %q, want %+v", ev.Data.Kind, ev.Data.Outcome, errCode(ev), w)
		}
	})
	ev, _ := s.Normalize(jsonDelivery([]byte(`{"type":"applicantReviewed","correlationId":"c1","createdAtMs":"2023-11-14 22:13:20.5"}`)))
	if ev.ID != "c1" || ev.Time != "2023-11-14T22:13:20.5Z" || ev.Data.Outcome != OutcomeNone {
		t.Errorf("id %q time %q outcome %s", ev.ID, ev.Time, ev.Data.Outcome)
	}
	body := []byte(`{"type":"applicantDeleted","applicantId":"a1","reviewResult":{"reviewAnswer":"RED"}}`)
	ev, _ = s.Normalize(jsonDelivery(body))
	if ev.ID != DerivedID("sumsub", body) || ev.Data.Kind != KindDeletion || ev.Type != TypeIdentityDeletion || ev.Subject != "a1" {
		t.Errorf("deletion without correlationId: %+v", ev)
	}
	ev, _ = s.Normalize(jsonDelivery([]byte(`{"type":"applicantReviewed","reviewResult":{"reviewAnswer":"RED"}}`)))
	if ev.Data.Outcome != OutcomeRejected {
		t.Errorf("RED without a reject type: %s", ev.Data.Outcome)
	}
}
