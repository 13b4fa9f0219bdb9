package vendors

import (
	"testing"

	"github.com/biohook/caddy-biohook/verify"
)

// iDenfy publishes no vector; these are computed with the documented
// algorithm (hex HMAC-SHA256 of the raw body) by Python's hmac and OpenSSL.
// They are the same for every raw-body HMAC-SHA256 hex vendor. The first,
// under an 11-byte key no vendor route accepts, is held to the primitive
// the vendors share; the second, under a key long enough to start a
// route, to each vendor.
func TestIDenfySelfDerivedVector(t *testing.T) {
	const (
		shortKey = "test_secret"
		shortSig = "b7b1e7e190c7aace9efb076f2394f2408bf389ed0398c526b97101ab2c84fed3"
		key      = "test_secret_0123456789"
		sig      = "cd1e5e2f43bdfbab9801b9770da2c65f9aea7ac3083a0842144bc85c8855a81f"
	)
	body := []byte(`{"hello":"world"}`)
	scheme, err := verify.NewBodyHMAC("sha256", "hex", "")
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range map[string]string{shortKey: shortSig, key: sig} {
		if got := scheme.Sign([]byte(k), body); got != s {
			t.Errorf("HMAC-SHA256 under %q: %s, want %s", k, got, s)
		}
		keys := verify.NewSecrets([][]byte{[]byte(k)})
		if err := scheme.Verify(s, body, keys); err != nil {
			t.Errorf("%q: %v", k, err)
		}
		if err := scheme.Verify(s, []byte(`{"hello":"World"}`), keys); err == nil {
			t.Errorf("%q: a changed body verified", k)
		}
	}
	for name, v := range map[string]Vendor{
		"idenfy":  provisioned(t, &IDenfy{Secrets: []string{key}}),
		"metamap": provisioned(t, &MetaMap{Secrets: []string{key}}),
		"onfido":  provisioned(t, &Onfido{Secrets: []string{key}}),
	} {
		header := map[string]string{"idenfy": "Idenfy-Signature", "metamap": "x-signature", "onfido": "X-SHA2-Signature"}[name]
		d := jsonDelivery(body)
		d.Request.Header.Set(header, sig)
		assertCode(t, v.Verify(d), "")
		d = jsonDelivery([]byte(`{"hello":"World"}`))
		d.Request.Header.Set(header, sig)
		assertCode(t, v.Verify(d), "signature_mismatch")
		d = jsonDelivery(body)
		d.Request.Header.Set(header, shortSig)
		assertCode(t, v.Verify(d), "signature_mismatch")
	}
}

func TestIDenfyNormalize(t *testing.T) {
	v := provisioned(t, &IDenfy{Secrets: []string{"k-test-secret-0001"}})
	yes, no := true, false
	want := map[string]struct {
		kind      Kind
		outcome   Outcome
		faceMatch *bool
		spoof     *bool
	}{
		"approved":            {KindVerification, OutcomeApproved, &yes, nil},
		"denied":              {KindVerification, OutcomeRejected, &no, nil},
		"suspected_fake_face": {KindVerification, OutcomePending, nil, &yes},
		"reviewing":           {KindVerification, OutcomePending, &yes, nil},
		"expired":             {KindVerification, OutcomeNone, nil, nil},
		"deleted":             {KindDeletion, OutcomeNone, nil, nil},
	}
	checkFixtures(t, "idenfy", v, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		var fm, sp *bool
		if s := ev.Data.Signals; s != nil {
			fm, sp = s.FaceMatch, s.Spoof
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || !sameBool(fm, w.faceMatch) || !sameBool(sp, w.spoof) {
			t.Errorf("kind %s outcome %s face_match %v spoof %v, want %+v", ev.Data.Kind, ev.Data.Outcome, fm, sp, w)
		}
		if ev.Data.User != nil && ev.Data.User.Name != "" && ev.Data.Document != nil && ev.Data.User.Name == ev.Data.Document.DateOfBirth {
			t.Error("a date of birth in user.name")
		}
	})
	// final false, then final true, of one scan with one status: two events.
	a, _ := v.Normalize(jsonDelivery([]byte(`{"final":false,"scanRef":"s1","status":{"overall":"APPROVED"}}`)))
	b, _ := v.Normalize(jsonDelivery([]byte(`{"final":true,"scanRef":"s1","status":{"overall":"APPROVED"}}`)))
	c, _ := v.Normalize(jsonDelivery([]byte(`{"scanRef":"s1","final":"true","status":{"overall":"APPROVED"},"platform":"PC"}`)))
	if a.ID == b.ID || b.ID != c.ID {
		t.Errorf("ids: final false %s, true %s, \"true\" %s", a.ID, b.ID, c.ID)
	}
	// A reviewer's face result overrides the automatic one.
	ev, _ := v.Normalize(jsonDelivery([]byte(`{"scanRef":"s2","status":{"overall":"APPROVED","autoFace":"FAKE_FACE","manualFace":"FACE_MATCH"}}`)))
	if ev.Data.Signals == nil || ev.Data.Signals.Spoof != nil || ev.Data.Signals.FaceMatch == nil || !*ev.Data.Signals.FaceMatch {
		t.Fatalf("manual face: %+v", ev.Data.Signals)
	}
}

func sameBool(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
