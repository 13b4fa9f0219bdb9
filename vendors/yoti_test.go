package vendors

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	goldenVendors["yoti"] = func(t testing.TB) Vendor {
		return provisioned(t, &Yoti{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}})
	}
}

// Verify and VerifyHeader are the shared Authorization check, wired.
func TestYotiVerify(t *testing.T) {
	// Yoti's own example, "Basic dXNlcm5hbWU6cGFzc3dvcmQ=", is
	// username:password; its 8-byte password would not start a route, so
	// the route has a longer one, sent the same way.
	if got := basicHeader("username", "password"); got != "Basic dXNlcm5hbWU6cGFzc3dvcmQ=" {
		t.Fatalf("Yoti's example encodes as %s", got)
	}
	y := provisioned(t, &Yoti{AuthCredentials: AuthCredentials{
		Basic: []BasicCredential{{"username", "password-0123456789"}}, Bearer: []string{"session-token-0123456789"}}})
	body := []byte(`{"session_id":"s","topic":"session_completion"}`)
	cases := map[string]string{
		basicHeader("username", "password-0123456789"):  "",
		"Bearer session-token-0123456789":               "",
		"Bearer other":                                  "credential_mismatch",
		basicHeader("username", "password-0123456789x"): "credential_mismatch",
		"Basic dXNlcm5hbWU6cGFzc3dvcmQ=":                "credential_mismatch",
		"Token session-token-0123456789":                "unsupported_scheme",
	}
	for header, code := range cases {
		d := jsonDelivery(body)
		d.Request.Header.Set("Authorization", header)
		assertCode(t, y.Verify(d), code)
		assertCode(t, y.VerifyHeaders(d), code)
	}
	d := jsonDelivery(body)
	assertCode(t, y.Verify(d), "missing_header")
	if got := y.CredentialHeaders(); len(got) != 1 || got[0] != "Authorization" {
		t.Errorf("credential headers %v", got)
	}
}

func TestYotiProvisionRefusesNoCredential(t *testing.T) {
	if err := (&Yoti{}).Provision(testContext(t)); err == nil || !strings.Contains(err.Error(), "no yoti credential") {
		t.Fatalf("a Yoti route without a credential must not start: %v", err)
	}
	for _, bad := range []string{"http://api.yoti.com/idverify/v1", "api.yoti.com", "https://api.yoti.com/x?y=1"} {
		if err := (&Yoti{APIURL: bad}).Validate(); err == nil {
			t.Errorf("api_url %q accepted", bad)
		}
	}
}

// The event is about the session, with Yoti's session URL; the outcome is
// pending but for a deleted client session token; the id follows the
// session, the topic and the sub-id, not the body's layout.
func TestYotiNormalize(t *testing.T) {
	y := provisioned(t, &Yoti{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}, APIURL: "https://api.yoti.com/sandbox/idverify/v1/"})
	ev, err := y.Normalize(jsonDelivery([]byte(`{"session_id":"a b/c","topic":"check_completion","check_id":"k"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if r := ev.Data.Resource; r == nil || r.Type != "session" || r.ID != "a b/c" || r.Href != "https://api.yoti.com/sandbox/idverify/v1/sessions/a%20b%2Fc" {
		t.Errorf("resource %+v", ev.Data.Resource)
	}
	if ev.Data.Outcome != OutcomePending || ev.Data.Kind != KindVerification || ev.Data.User != nil || ev.Time != "" {
		t.Errorf("%+v", ev.Data)
	}
	again, _ := y.Normalize(jsonDelivery([]byte(` { "check_id" : "k", "topic":"check_completion", "session_id":"a b/c" }`)))
	other, _ := y.Normalize(jsonDelivery([]byte(`{"session_id":"a b/c","topic":"check_completion","check_id":"l"}`)))
	if again.ID != ev.ID || other.ID == ev.ID {
		t.Errorf("ids %s %s %s", ev.ID, again.ID, other.ID)
	}
	// The sub-ids are told apart by name: a task and a check of one id differ.
	task, _ := y.Normalize(jsonDelivery([]byte(`{"session_id":"s","topic":"x","task_id":"1"}`)))
	check, _ := y.Normalize(jsonDelivery([]byte(`{"session_id":"s","topic":"x","check_id":"1"}`)))
	if task.ID == check.ID {
		t.Error("a task and a check of the same id share an event id")
	}
}

// Unknown members pass; the members read must be strings; session_id and
// topic are required.
func TestYotiNormalizeStrict(t *testing.T) {
	y := provisioned(t, &Yoti{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}})
	cases := map[string]string{
		`{"session_id":"s","topic":"t","extra":{"a":[1]}}`: "",
		`{"session_id":"s","topic":"t","task_id":null}`:    "",
		`{"session_id":1,"topic":"t"}`:                     "invalid_json",
		`{"session_id":"s","topic":["t"]}`:                 "invalid_json",
		`{"session_id":"s","topic":"t","check_id":{}}`:     "invalid_json",
		`{"session_id":"s","session_id":"s","topic":"t"}`:  "invalid_json",
		`{"session_id":"s"}`:                               "invalid_payload",
		`{"topic":"t"}`:                                    "invalid_payload",
		`[]`:                                               "invalid_json",
	}
	for body, code := range cases {
		_, err := y.Normalize(jsonDelivery([]byte(body)))
		assertCode(t, err, code)
	}
}

func TestYotiCaddyfile(t *testing.T) {
	var y Yoti
	err := y.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`yoti {
		basic {env.YOTI_USER} {env.YOTI_PASSWORD}
		bearer {env.YOTI_TOKEN}
		bearer {env.YOTI_TOKEN_NEXT}
		api_url https://api.yoti.com/sandbox/idverify/v1
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(y.Basic) != 1 || y.Basic[0].User != "{env.YOTI_USER}" || len(y.Bearer) != 2 || y.APIURL == "" {
		t.Fatalf("%+v", y)
	}
	for _, bad := range []string{"yoti {\n\tsecret x\n}", "yoti {\n\tbasic only-user\n}", "yoti {\n\tapi_url\n}"} {
		if err := new(Yoti).UnmarshalCaddyfile(caddyfile.NewTestDispenser(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestYotiAcknowledge(t *testing.T) {
	y := &Yoti{}
	for status, want := range map[int]bool{200: false, 201: true, 202: true, 204: true, 400: false, 500: false} {
		a, replace := y.Acknowledge(status, http.Header{})
		if replace != want || (replace && a.Status != 200) {
			t.Errorf("%d: %v %+v", status, replace, a)
		}
	}
}
