package vendors

import (
	"testing"
)

// Onfido's published X-SHA2-Signature examples (onfido-node
// test/classic-webhook-event-verifier.test.ts and
// test/studio-webhook-event-verifier.test.ts): each verifies under its
// token, and the SDKs' negative examples (one hex digit changed) do not.
func TestOnfidoPublishedVectors(t *testing.T) {
	const classic = `{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"check-123","status":"complete",` +
		`"completed_at_iso8601":"2020-01-01T00:00:00Z","href":"https://api.onfido.com/v3/checks/check-123"}}}`
	const studio = `{"payload":{"resource_type":"workflow_task","action":"workflow_task.started","object":{"id":"profile_1eb92",` +
		`"task_spec_id":"profile_1eb92","task_def_id":"profile_data","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19",` +
		`"status":"started","started_at_iso8601":"2024-07-10T12:49:09Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/` +
		`bc77c6e5-753a-4580-96a6-aaed3e5a8d19/tasks/profile_1eb92"},"resource":{"created_at":"2024-07-10T12:49:09Z","id":"profile_1eb92",` +
		`"workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","updated_at":"2024-07-10T12:49:09Z","input":{},"task_def_version":null,` +
		`"task_def_id":"profile_data","output":null}}}`
	vectors := []struct {
		token, body, sig string
		ok               bool
	}{
		{"_ABC123abc123ABC123abc123ABC123_", classic, "a0082d7481f9f0a2907583dbe1f344d6d4c0d9989df2fd804f98479f60cd760e", true},
		{"_ABC123abc123ABC123abc123ABC123_", classic, "b0082d7481f9f0a2907583dbe1f344d6d4c0d9989df2fd804f98479f60cd760e", false},
		{"YKOC6mkBxi6yK2zlUIrLMvsJMFEZObP5", studio, "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfa", true},
		{"YKOC6mkBxi6yK2zlUIrLMvsJMFEZObP5", studio, "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfb", false},
	}
	for _, vec := range vectors {
		o := provisioned(t, &Onfido{Secrets: []string{vec.token}})
		d := jsonDelivery([]byte(vec.body))
		d.Request.Header.Set("X-SHA2-Signature", vec.sig)
		want := "signature_mismatch"
		if vec.ok {
			want = ""
		}
		assertCode(t, o.Verify(d), want)
	}
	// The fixtures are these bodies, byte for byte.
	for name, body := range map[string]string{"check.completed": classic, "workflow_task.started": studio} {
		for _, f := range fixtures(t, "onfido") {
			if f.name == name && string(f.delivery(t).Body) != body {
				t.Errorf("testdata/onfido/%s.json is not the published body", name)
			}
		}
	}
}

func TestOnfidoNormalize(t *testing.T) {
	o := provisioned(t, &Onfido{Secrets: []string{"k-test-secret-0001"}})
	want := map[string]struct {
		kind     Kind
		outcome  Outcome
		resource bool
		errCode  string
	}{
		"check.completed":                   {KindVerification, OutcomePending, true, ""},
		"check.withdrawn":                   {KindVerification, OutcomeNone, true, ""},
		"report.completed":                  {KindVerification, OutcomePending, true, ""},
		"workflow_task.started":             {KindVerification, OutcomePending, true, ""},
		"workflow_run.completed.approved":   {KindVerification, OutcomeApproved, true, ""},
		"workflow_run.completed.declined":   {KindVerification, OutcomeRejected, true, "document_expired"},
		"workflow_run.completed.review":     {KindVerification, OutcomePending, true, ""},
		"workflow_run.completed.abandoned":  {KindVerification, OutcomeNone, true, ""},
		"workflow_run.completed.error":      {KindVerification, OutcomeNone, true, "task_error"},
		"watchlist_monitor.matches_updated": {KindOther, OutcomeNone, true, ""},
	}
	checkFixtures(t, "onfido", o, func(t *testing.T, name string, ev *Event) {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		if ev.Data.Kind != w.kind || ev.Data.Outcome != w.outcome || (ev.Data.Resource != nil) != w.resource || errCode(ev) != w.errCode {
			t.Errorf("kind %s outcome %s resource %+v error %q, want %+v", ev.Data.Kind, ev.Data.Outcome, ev.Data.Resource, errCode(ev), w)
		}
	})
	// The same task of two workflow runs is two events.
	run := func(id string) []byte {
		return []byte(`{"payload":{"resource_type":"workflow_task","action":"workflow_task.started","object":{"id":"profile_1eb92",` +
			`"workflow_run_id":"` + id + `","status":"started","started_at_iso8601":"2024-07-10T12:49:09Z"}}}`)
	}
	a, _ := o.Normalize(jsonDelivery(run("run-a")))
	b, _ := o.Normalize(jsonDelivery(run("run-b")))
	if a.ID == b.ID {
		t.Error("two workflow runs' tasks share an id")
	}
	// An href that is no absolute URL stays in raw only; no object, a body digest.
	ev, err := o.Normalize(jsonDelivery([]byte(`{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"c1","href":"/v3/checks/c1"}}}`)))
	if err != nil || ev.Data.Resource == nil || ev.Data.Resource.Href != "" || ev.Data.Resource.ID != "c1" {
		t.Fatalf("relative href: %+v, %v", ev.Data.Resource, err)
	}
	body := []byte(`{"payload":{"resource_type":"audit_log","action":"audit_log.created"}}`)
	ev, err = o.Normalize(jsonDelivery(body))
	if err != nil || ev.ID != DerivedID("onfido", body) || ev.Data.Kind != KindOther || ev.Data.Resource != nil {
		t.Fatalf("no object: %+v, %v", ev, err)
	}
}
