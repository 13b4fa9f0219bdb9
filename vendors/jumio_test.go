package vendors

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	goldenVendors["jumio"] = func(t testing.TB) Vendor { return provisioned(t, &Jumio{}) }
}

// Without a header, the route needs its source_ips, and says why; a header
// is a check of its own.
func TestJumioSourceCheckRequired(t *testing.T) {
	bare := provisioned(t, &Jumio{})
	reason := bare.SourceCheckRequired()
	if !strings.Contains(reason, "Jumio signs nothing") || !strings.Contains(reason, "docs/jumio.md") {
		t.Errorf("reason %q", reason)
	}
	assertCode(t, bare.Verify(jsonDelivery([]byte(`{}`))), "")
	withHeader := provisioned(t, &Jumio{Headers: StaticHeaders{"X-Proxy-Secret": {"old-proxy-secret-01", "new-proxy-secret-01"}}})
	if r := withHeader.SourceCheckRequired(); r != "" {
		t.Errorf("a header is a check: %q", r)
	}
	for value, code := range map[string]string{"new-proxy-secret-01": "", "old-proxy-secret-01": "", "other": "header_mismatch", "": "missing_header"} {
		d := jsonDelivery([]byte(`{}`))
		if value != "" {
			d.Request.Header.Set("X-Proxy-Secret", value)
		}
		assertCode(t, withHeader.Verify(d), code)
		assertCode(t, withHeader.VerifyHeaders(d), code)
	}
	if got := withHeader.CredentialHeaders(); len(got) != 1 || got[0] != "X-Proxy-Secret" {
		t.Errorf("credential headers %v", got)
	}
}

// The id is the execution's and its status, the same for a retry however
// its body is laid out or whenever it was sent; another status is another
// event.
func TestJumioNormalize(t *testing.T) {
	j := provisioned(t, &Jumio{})
	first, err := j.Normalize(jsonDelivery(fixtureBody(t, "jumio", "processed.json")))
	if err != nil {
		t.Fatal(err)
	}
	retry, _ := j.Normalize(jsonDelivery([]byte(`{"workflowExecution":{"status":"PROCESSED","id":"22222222-aaaa-4bbb-8ccc-dddddddddddd"},"callbackSentAt":"2021-01-21T14:56:01.917Z"}`)))
	expired, _ := j.Normalize(jsonDelivery([]byte(`{"workflowExecution":{"status":"SESSION_EXPIRED","id":"22222222-aaaa-4bbb-8ccc-dddddddddddd"}}`)))
	if retry.ID != first.ID || expired.ID == first.ID {
		t.Errorf("ids %s %s %s", first.ID, retry.ID, expired.ID)
	}
	if first.Data.Outcome != OutcomePending || expired.Data.Outcome != OutcomeNone {
		t.Errorf("outcomes %s %s", first.Data.Outcome, expired.Data.Outcome)
	}
	if r := first.Data.Resource; r == nil || r.Type != "workflow_execution" || !strings.HasPrefix(r.Href, "https://retrieval.apac-1.jumio.ai/") {
		t.Errorf("resource %+v", r)
	}
	if first.Subject != "user-8841" || first.Data.User.ExternalID != "user-8841" || first.Data.User.ID == "" {
		t.Errorf("user %q %+v", first.Subject, first.Data.User)
	}
	// An href that is no https URL is left out, not forwarded as a link.
	for _, href := range []string{"javascript:alert(1)", "http://retrieval.jumio.ai/x", "/relative", "https://"} {
		ev, err := j.Normalize(jsonDelivery([]byte(`{"workflowExecution":{"id":"1","status":"PROCESSED","href":"` + href + `"}}`)))
		if err != nil || ev.Data.Resource.Href != "" {
			t.Errorf("href %q: %+v %v", href, ev.Data.Resource, err)
		}
	}
	unknown, _ := j.Normalize(jsonDelivery([]byte(`{"workflowExecution":{"id":"1","status":"SOMETHING_NEW"}}`)))
	if unknown.Data.Outcome != OutcomePending || unknown.Subject != "" || unknown.Data.User != nil {
		t.Errorf("%+v", unknown)
	}
}

func TestJumioNormalizeStrict(t *testing.T) {
	j := provisioned(t, &Jumio{})
	cases := map[string]string{
		`{"workflowExecution":{"id":"1","status":"PROCESSED","definitionKey":10011,"x":[]},"account":{"href":1}}`: "",
		`{"workflowExecution":{"id":"1","status":"PROCESSED"},"userReference":null}`:                              "",
		`{"workflowExecution":{"id":1,"status":"PROCESSED"}}`:                                                     "invalid_json",
		`{"workflowExecution":{"id":"1","status":"PROCESSED","href":{}}}`:                                         "invalid_json",
		`{"workflowExecution":{"id":"1","status":"PROCESSED"},"userReference":42}`:                                "invalid_json",
		`{"workflowExecution":{"id":"1","status":"PROCESSED"},"callbackSentAt":1611240901}`:                       "invalid_json",
		`{"workflowExecution":{"id":"1","status":"PROCESSED"},"account":[]}`:                                      "invalid_json",
		`{"workflowExecution":"1"}`:                    "invalid_json",
		`{"workflowExecution":{"id":"1"}}`:             "invalid_payload",
		`{"workflowExecution":{"status":"PROCESSED"}}`: "invalid_payload",
		`{}`: "invalid_payload",
	}
	for body, code := range cases {
		_, err := j.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
}

func TestJumioCaddyfile(t *testing.T) {
	var j Jumio
	if err := j.UnmarshalCaddyfile(caddyfile.NewTestDispenser("jumio {\n\theader X-Proxy-Secret {env.S}\n}")); err != nil {
		t.Fatal(err)
	}
	if len(j.Headers["X-Proxy-Secret"]) != 1 {
		t.Fatalf("%+v", j)
	}
	if err := new(Jumio).UnmarshalCaddyfile(caddyfile.NewTestDispenser("jumio")); err != nil {
		t.Fatalf("no options: %v", err)
	}
	for _, bad := range []string{"jumio {\n\tsecret x\n}", "jumio {\n\theader X\n}"} {
		if err := new(Jumio).UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func fixtureBody(t *testing.T, vendor, name string) []byte {
	t.Helper()
	return fixture{vendor: vendor, path: "../testdata/" + vendor + "/" + name}.delivery(t).Body
}
