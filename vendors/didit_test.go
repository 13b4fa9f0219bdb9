package vendors

import (
	"strconv"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// X-Timestamp: once, Unix seconds, within max_skew either way of the time
// the delivery was received; the signature is checked first, so a forgery
// with a stale time is reported as a forgery.
func TestDiditTimestamp(t *testing.T) {
	body := []byte(`{"session_id":"s1","status":"Approved","webhook_type":"status.updated"}`)
	v := provisioned(t, &Didit{Secrets: []string{"k-test-secret-0001"}, MaxSkew: caddyDuration(2 * time.Minute)})
	now := time.Unix(1793966400, 0)
	at := func(key string, stamps ...string) *Delivery {
		d := bodySigned{header: "X-Signature", algorithm: "sha256"}.sign(t, key, body)
		d.Received = now
		for _, s := range stamps {
			d.Request.Header.Add("X-Timestamp", s)
		}
		return d
	}
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := []struct {
		name string
		d    *Delivery
		code string
	}{
		{"now", at("k-test-secret-0001", unix(0)), ""},
		{"at the edge, past", at("k-test-secret-0001", unix(-2*time.Minute)), ""},
		{"at the edge, future", at("k-test-secret-0001", unix(2*time.Minute)), ""},
		{"stale", at("k-test-secret-0001", unix(-2*time.Minute-time.Second)), "stale_signature"},
		{"future", at("k-test-secret-0001", unix(2*time.Minute+time.Second)), "signature_in_future"},
		{"forged and stale", at("other", unix(-time.Hour)), "signature_mismatch"},
		{"missing", at("k-test-secret-0001"), "missing_timestamp"},
		{"twice", at("k-test-secret-0001", unix(0), unix(0)), "duplicate_header"},
		{"milliseconds", at("k-test-secret-0001", strconv.FormatInt(now.UnixMilli(), 10)), "malformed_timestamp"},
		{"signed", at("k-test-secret-0001", "+"+unix(0)), "malformed_timestamp"},
		{"negative", at("k-test-secret-0001", "-1"), "malformed_timestamp"},
		{"RFC 3339", at("k-test-secret-0001", now.Format(time.RFC3339)), "malformed_timestamp"},
		{"empty", at("k-test-secret-0001", ""), "malformed_timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assertCode(t, v.Verify(c.d), c.code) })
	}
	if v.SignatureWindow() != 2*time.Minute {
		t.Errorf("window %s", v.SignatureWindow())
	}
	if def := provisioned(t, &Didit{Secrets: []string{"k-test-secret-0001"}}); def.SignatureWindow() != 5*time.Minute {
		t.Errorf("default window %s", def.SignatureWindow())
	}
	neg := &Didit{Secrets: []string{"k-test-secret-0001"}, MaxSkew: caddyDuration(-time.Second)}
	if err := neg.Provision(testContext(t)); err != nil || neg.Validate() == nil {
		t.Error("a negative max_skew validated")
	}
}

func TestDiditNormalize(t *testing.T) {
	v := provisioned(t, &Didit{Secrets: []string{"k-test-secret-0001"}})
	type scores struct{ match, spoof float64 } // -1: none
	want := map[string]struct {
		kind    Kind
		outcome Outcome
		scores  scores
	}{
		"status.updated.approved":    {KindVerification, OutcomeApproved, scores{0.955, 0.1008}},
		"status.updated.declined":    {KindVerification, OutcomeRejected, scores{0.3125, 0.88}}, // the lowest of each
		"status.updated.in_review":   {KindVerification, OutcomePending, scores{0.61, 0.45}},
		"status.updated.not_started": {KindVerification, OutcomePending, scores{-1, -1}},
		"status.updated.abandoned":   {KindVerification, OutcomeNone, scores{-1, -1}},
		"data.updated":               {KindVerification, OutcomeApproved, scores{-1, -1}},
		"user.status.updated":        {KindOther, OutcomeNone, scores{-1, -1}},
	}
	checkFixtures(t, "didit", v, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		got := scores{-1, -1}
		if s := ev.Data.Scores; s != nil {
			if s.Match != nil {
				got.match = *s.Match
			}
			if s.Spoof != nil {
				got.spoof = *s.Spoof
			}
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || got != w.scores {
			t.Errorf("kind %s outcome %s scores %+v, want %+v", ev.Data.Kind, ev.Data.Outcome, got, w)
		}
	})
	for _, st := range []string{"Resubmitted", "In Progress"} {
		ev, _ := v.Normalize(jsonDelivery([]byte(`{"session_id":"s","status":"` + st + `","webhook_type":"status.updated"}`)))
		if ev.Data.Outcome != OutcomePending {
			t.Errorf("%s: %s", st, ev.Data.Outcome)
		}
	}
	for _, st := range []string{"Expired", "Kyc Expired", "approved", "APPROVED"} {
		ev, _ := v.Normalize(jsonDelivery([]byte(`{"session_id":"s","status":"` + st + `","webhook_type":"status.updated"}`)))
		if ev.Data.Outcome != OutcomeNone {
			t.Errorf("%s: %s (the statuses are exact words)", st, ev.Data.Outcome)
		}
	}
	// Scores outside 0..100, or no numbers, are left out.
	for _, s := range []string{`-1`, `101`, `"NaN"`, `"high"`, `1e999`, `null`, `{"v":1}`} {
		ev, err := v.Normalize(jsonDelivery([]byte(`{"session_id":"s","status":"Approved","decision":{"liveness_checks":[{"score":` + s +
			`}],"face_match":{"score":` + s + `}}}`)))
		if err != nil || ev.Data.Scores != nil {
			t.Errorf("score %s: %+v, %v", s, ev.Data.Scores, err)
		}
	}
	ev, _ := v.Normalize(jsonDelivery([]byte(`{"session_id":"s","status":"Approved","decision":{"liveness_checks":[{"score":"100"},7,{"score":0}]}}`)))
	if ev.Data.Scores == nil || ev.Data.Scores.Spoof == nil || *ev.Data.Scores.Spoof != 1 || ev.Data.Scores.Match != nil {
		t.Errorf("scores %+v", ev.Data.Scores)
	}
}

func caddyDuration(d time.Duration) caddy.Duration { return caddy.Duration(d) }
