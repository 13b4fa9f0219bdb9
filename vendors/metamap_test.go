package vendors

import (
	"testing"
)

func TestMetaMapNormalize(t *testing.T) {
	m := provisioned(t, &MetaMap{Secrets: []string{"k-test-secret-0001"}})
	want := map[string]struct {
		kind    Kind
		outcome Outcome
		user    string
		errCode string
	}{
		"verification_completed":          {KindVerification, OutcomePending, "user-4711", ""},
		"verification_completed_verified": {KindVerification, OutcomeApproved, "user-0815", ""},
		"verification_completed_review":   {KindVerification, OutcomePending, "user-3434", ""},
		"verification_updated_rejected":   {KindVerification, OutcomeRejected, "user-1212", ""},
		"verification_started":            {KindVerification, OutcomePending, "user-4711", ""},
		"verification_expired":            {KindVerification, OutcomeNone, "user-7788", ""},
		"step_completed_liveness":         {KindVerification, OutcomePending, "user-4711", ""},
		"step_completed_facematch_error":  {KindVerification, OutcomePending, "user-5656", "facematch.notMatched"},
	}
	checkFixtures(t, "metamap", m, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || ev.Subject != w.user || errCode(ev) != w.errCode {
			t.Errorf("kind %s outcome %s subject %q error %q, want %+v", ev.Data.Kind, ev.Data.Outcome, ev.Subject, errCode(ev), w)
		}
		if r := ev.Data.Resource; r == nil || r.Type != "verification" || r.Href == "" {
			t.Errorf("resource %+v", r)
		}
	})
	// The user's id: the metadata when it is a scalar, else its userId,
	// user_id, externalId or external_id, in that order; nothing else.
	for body, user := range map[string]string{
		`{"eventName":"verification_started","metadata":"u1"}`:                                  "u1",
		`{"eventName":"verification_started","metadata":42}`:                                    "42",
		`{"eventName":"verification_started","metadata":{"externalId":"u3","user_id":"u2"}}`:    "u2",
		`{"eventName":"verification_started","metadata":{"external_id":"u4","email":"a@b.c"}}`:  "u4",
		`{"eventName":"verification_started","metadata":{"email":"a@b.c","userId":{"id":"x"}}}`: "",
		`{"eventName":"verification_started","metadata":[1,2]}`:                                 "",
		`{"eventName":"verification_started","metadata":null}`:                                  "",
	} {
		ev, err := m.Normalize(jsonDelivery([]byte(body)))
		if err != nil || ev.Subject != user || (user == "") != (ev.Data.User == nil) {
			t.Errorf("%s: subject %q (%v), want %q", body, ev.Subject, err, user)
		}
	}
	// identityStatus decides only the events that report it; an unknown
	// event is kind other.
	for body, want := range map[string]Outcome{
		`{"eventName":"verification_started","identityStatus":"verified"}`:     OutcomePending,
		`{"eventName":"verification_completed","identityStatus":"deleted"}`:    OutcomePending,
		`{"eventName":"verification_updated","identityStatus":"reviewNeeded"}`: OutcomePending,
		`{"eventName":"verification_completed","identityStatus":"rejected"}`:   OutcomeRejected,
	} {
		ev, _ := m.Normalize(jsonDelivery([]byte(body)))
		if ev.Data.Outcome != want {
			t.Errorf("%s: %s, want %s", body, ev.Data.Outcome, want)
		}
	}
	ev, _ := m.Normalize(jsonDelivery([]byte(`{"eventName":"flow_updated","resource":"ftp://x/y"}`)))
	if ev.Data.Kind != KindOther || ev.Data.Resource != nil {
		t.Errorf("unknown event: %+v", ev.Data)
	}
}
