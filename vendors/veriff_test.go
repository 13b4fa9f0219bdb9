package vendors

import (
	"net/http"
	"path/filepath"
	"testing"
)

// Veriff's published X-HMAC-SIGNATURE examples (devdocs.veriff.com,
// "Generating X-HMAC-SIGNATURE"): each verifies under the documented shared
// secret, and fails with one hex digit changed or under another secret.
func TestVeriffPublishedVectors(t *testing.T) {
	const secret = "abcdef12-abcd-abcd-abcd-abcdef012345"
	const body = `{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},` +
		`"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of a user","timestamp":"2016-05-19T08:30:25.597Z"}}`
	const body2 = `{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},` +
		`"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of the end-user","timestamp":"2016-05-19T08:30:25.597Z"}}`
	vectors := []struct{ body, sig string }{
		{body, "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67"},
		{body2, "0dcab73ddd20062616d104231c7439657546a5c24e4691977da93bb854c31e25"},
		// A session id, as signed for API calls: the scheme is the same.
		{"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7", "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd"},
	}
	v := provisioned(t, &Veriff{Secrets: []string{"other-veriff-secret", secret}})
	other := provisioned(t, &Veriff{Secrets: []string{"abcdef12-abcd-abcd-abcd-abcdef012346"}})
	for _, vec := range vectors {
		d := jsonDelivery([]byte(vec.body))
		d.Request.Header.Set("X-HMAC-SIGNATURE", vec.sig)
		assertCode(t, v.Verify(d), "")
		d = jsonDelivery([]byte(vec.body))
		d.Request.Header.Set("X-HMAC-SIGNATURE", vec.sig[:63]+string("0123456789abcdef"[(hexDigit(vec.sig[63])+1)%16]))
		assertCode(t, v.Verify(d), "signature_mismatch")
		d = jsonDelivery([]byte(vec.body))
		d.Request.Header.Set("X-HMAC-SIGNATURE", vec.sig)
		assertCode(t, other.Verify(d), "signature_mismatch")
	}
}

func hexDigit(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// With api_key, X-AUTH-CLIENT must be there once and equal it, checked
// before the signature; without, it is not looked at.
func TestVeriffAPIKey(t *testing.T) {
	body := []byte(`{"id":"s1","action":"started","code":7001}`)
	withKey := provisioned(t, &Veriff{Secrets: []string{"k-test-secret-0001"}, APIKey: "veriff-api-key-0001"})
	noKey := provisioned(t, &Veriff{Secrets: []string{"k-test-secret-0001"}})
	sign := func(clients ...string) *Delivery {
		d := bodySigned{header: "X-HMAC-SIGNATURE", algorithm: "sha256"}.sign(t, "k-test-secret-0001", body)
		for _, c := range clients {
			d.Request.Header.Add("X-AUTH-CLIENT", c)
		}
		return d
	}
	assertCode(t, withKey.Verify(sign("veriff-api-key-0001")), "")
	assertCode(t, withKey.Verify(sign()), "missing_api_key")
	assertCode(t, withKey.Verify(sign("veriff-api-key-0002")), "api_key_mismatch")
	assertCode(t, withKey.Verify(sign("veriff-api-key-0001", "veriff-api-key-0001")), "duplicate_header")
	assertCode(t, noKey.Verify(sign()), "")
	assertCode(t, noKey.Verify(sign("anything")), "")
	d := sign("veriff-api-key-0002")
	assertCode(t, withKey.VerifyHeaders(d), "api_key_mismatch")
	if d.Scratch != nil {
		t.Fatal("a refused head left a MAC behind")
	}
	t.Setenv("BIOHOOK_TEST_EMPTY", "")
	if err := (&Veriff{Secrets: []string{"k-test-secret-0001"}, APIKey: "{env.BIOHOOK_TEST_EMPTY}"}).Provision(testContext(t)); err == nil {
		t.Fatal("an api_key that resolves to nothing provisioned")
	}
}

// Veriff retries any answer but 200: another 2xx becomes a bare 200, the
// rest pass.
func TestVeriffAcknowledge(t *testing.T) {
	v := provisioned(t, &Veriff{Secrets: []string{"k-test-secret-0001"}})
	for status, want := range map[int]bool{200: false, 201: true, 202: true, 204: true, 299: true, 301: false, 400: false, 503: false} {
		a, replace := v.Acknowledge(status, http.Header{})
		if replace != want || (replace && a.Status != http.StatusOK) {
			t.Errorf("%d: replace %v, answer %+v", status, replace, a)
		}
	}
}

// What each fixture means, beyond the goldens: kind, outcome, the error
// on a decline and a resubmission, and ids that tell the events apart.
func TestVeriffNormalize(t *testing.T) {
	v := provisioned(t, &Veriff{Secrets: []string{"k-test-secret-0001"}})
	want := map[string]struct {
		kind    Kind
		outcome Outcome
		errCode string
	}{
		"decision_approved":        {KindVerification, OutcomeApproved, ""},
		"decision_declined":        {KindVerification, OutcomeRejected, "103"},
		"decision_resubmission":    {KindVerification, OutcomePending, "201"},
		"decision_review":          {KindVerification, OutcomePending, ""},
		"decision_expired":         {KindVerification, OutcomeNone, ""},
		"biometric_authentication": {KindAuthentication, OutcomeApproved, ""},
		"event_started":            {KindVerification, OutcomePending, ""},
		"event_submitted":          {KindVerification, OutcomePending, ""},
	}
	checkFixtures(t, "veriff", v, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || errCode(ev) != w.errCode {
			t.Errorf("kind %s outcome %s error %q, want %+v", ev.Data.Kind, ev.Data.Outcome, errCode(ev), w)
		}
	})
	// A decision re-sent with other bytes around the same fields is the same
	// event; a payload of neither shape is kind other with a body digest.
	a := []byte(`{"status":"success","verification":{"id":"s","attemptId":"a","code":9001,"status":"approved"}}`)
	b := []byte(`{"verification":{"status":"approved","code":9001,"attemptId":"a","id":"s"},"technicalData":{"ip":"192.0.2.1"}}`)
	evA, _ := v.Normalize(jsonDelivery(a))
	evB, _ := v.Normalize(jsonDelivery(b))
	if evA.ID != evB.ID {
		t.Error("the same decision got two ids")
	}
	odd := []byte(`{"watchlistScreening":{"hits":[]}}`)
	ev, err := v.Normalize(jsonDelivery(odd))
	if err != nil || ev.Data.Kind != KindOther || ev.ID != DerivedID("veriff", odd) || ev.Type != TypeVendorEvent {
		t.Fatalf("unknown shape: %+v, %v", ev, err)
	}
	for _, bad := range []string{`{"verification":`, `[1]`, `{"id":"1","id":"2"}`, "{\"id\":\"\xff\"}"} {
		_, err := v.Normalize(jsonDelivery([]byte(bad)))
		assertCode(t, err, "invalid_json")
	}
	// A field of another type than documented is left out, not a refusal.
	ev, err = v.Normalize(jsonDelivery([]byte(`{"verification":{"id":"s","status":"approved","person":"JOHN","document":[1]}}`)))
	if err != nil || ev.Data.Outcome != OutcomeApproved || ev.Data.Document != nil {
		t.Fatalf("lenient fields: %+v, %v", ev, err)
	}
}

func errCode(ev *Event) string {
	if ev.Data.Error == nil {
		return ""
	}
	return ev.Data.Error.Code
}

// checkFixtures normalises every fixture of vendor with v, checks that no
// two events share an id, and hands each to check.
func checkFixtures(t *testing.T, vendor string, v Vendor, check func(t *testing.T, name string, ev *Event)) {
	t.Helper()
	ids := map[string]string{}
	for _, f := range fixtures(t, vendor) {
		t.Run(f.name, func(t *testing.T) {
			ev, err := v.Normalize(f.delivery(t))
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := ids[ev.ID]; dup {
				t.Errorf("id %s also %s's", ev.ID, other)
			}
			ids[ev.ID] = f.name
			check(t, f.name, ev)
		})
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", vendor, "*.json"))
	if len(paths) != len(ids) {
		t.Errorf("%d fixtures, %d ids", len(paths), len(ids))
	}
}
