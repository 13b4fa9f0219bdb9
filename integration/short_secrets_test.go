package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// Values a route must refuse to start with, each from the environment.
var shortSecretValues = map[string]string{
	"BIOHOOK_TEST_SHORT":  "fifteen-bytes-x",  // 15 bytes
	"BIOHOOK_TEST_BLANK":  " \t  ",            // whitespace only
	"BIOHOOK_TEST_PADDED": "  twelve-bytes  ", // 16 bytes, 12 without the padding
}

// loadError loads a config with the route's biohook block and returns the
// error it was refused with, or "" when it loaded.
func loadError(t *testing.T, block string) string {
	t.Helper()
	site := globals + `
:9080 {
	handle /hooks/incode* {
		` + block + `
		respond ok
	}
}`
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(site), nil)
	if err != nil {
		return err.Error()
	}
	if err := caddy.Load(cfg, true); err != nil {
		return err.Error()
	}
	return ""
}

// A secret, token or credential header value that is empty after trimming
// whitespace, or shorter than 16 bytes, stops the config from loading; the
// message names the setting, never the value. Only the generic hmac vendor,
// whose vendors are not known in advance, has an option to allow short ones.
func TestShortSecretsRefuseToStart(t *testing.T) {
	for k, v := range shortSecretValues {
		t.Setenv(k, v)
	}
	t.Setenv("BIOHOOK_TEST_LONG", "a-secret-of-24-bytes-xyz")
	const env = "{env.BIOHOOK_TEST_%s}"
	cases := []struct {
		name, block, field string
	}{
		{"faceio token", "biohook faceio {\n secret %s\n}", "faceio secret #1"},
		{"faceio second token", "biohook faceio {\n secret {env.BIOHOOK_TEST_LONG}\n secret %s\n}", "faceio secret #2"},
		{"entrust token", "biohook entrust {\n secret %s\n}", "entrust secret #1"},
		{"authenteq client secret", "biohook authenteq {\n client_id client-1\n secret %s\n}", "authenteq secret #1"},
		{"argos API key", "biohook argos {\n secret %s\n mode cbc\n}", "argos secret #1"},
		{"argos path token", "biohook argos {\n path_token %s\n}", "argos path_token #1"},
		{"argos header value", "biohook argos {\n header X-Argos-Key %s\n}", "argos header X-Argos-Key value #1"},
		{"incode header value", "biohook incode {\n header X-Incode-Key %s\n}", "incode header X-Incode-Key value #1"},
		{"incode client secret", "biohook incode {\n oauth {\n client_id incode-client\n secret %s\n token_path /hooks/incode/token\n }\n}", "incode oauth secret #1"},
		{"hmac secret", "biohook hmac {\n header X-Signature\n secret %s\n}", "hmac secret #1"},
		{"standard_webhooks secret", "biohook standard_webhooks {\n secret %s\n}", "standard_webhooks secret #1"},
		{"veriff secret", "biohook veriff {\n secret %s\n}", "veriff secret #1"},
		{"veriff api_key", "biohook veriff {\n secret {env.BIOHOOK_TEST_LONG}\n api_key %s\n}", "veriff api_key"},
		{"onfido token", "biohook onfido {\n secret %s\n}", "onfido secret #1"},
		{"idenfy key", "biohook idenfy {\n secret %s\n}", "idenfy secret #1"},
		{"metamap secret", "biohook metamap {\n secret %s\n}", "metamap secret #1"},
		{"sumsub secret", "biohook sumsub {\n secret %s\n}", "sumsub secret #1"},
		{"didit secret", "biohook didit {\n secret %s\n}", "didit secret #1"},
		{"stripe secret", "biohook stripe {\n secret %s\n}", "stripe secret #1"},
		{"persona second secret", "biohook persona {\n secret {env.BIOHOOK_TEST_LONG}\n secret %s\n}", "persona secret #2"},
		{"shufti secret", "biohook shufti {\n secret %s\n}", "shufti secret #1"},
		{"yoti bearer token", "biohook yoti {\n bearer %s\n}", "yoti bearer token #1"},
		{"yoti basic password", "biohook yoti {\n basic yoti-user %s\n}", "yoti basic #1 password"},
		{"socure bearer token", "biohook socure {\n bearer %s\n}", "socure bearer token #1"},
		{"socure basic password", "biohook socure {\n basic riskos %s\n}", "socure basic #1 password"},
		{"jumio header value", "biohook jumio {\n header X-Proxy-Secret %s\n}", "jumio header X-Proxy-Secret value #1"},
		{"ondato header value", "biohook ondato {\n header X-Proxy-Secret %s\n}", "ondato header X-Proxy-Secret value #1"},
	}
	for _, c := range cases {
		for k, value := range shortSecretValues {
			name := strings.TrimPrefix(k, "BIOHOOK_TEST_")
			msg := loadError(t, strings.Replace(c.block, "%s", strings.Replace(env, "%s", name, 1), 1))
			switch {
			case msg == "":
				t.Errorf("%s, %s: loaded", c.name, name)
			case !strings.Contains(msg, c.field):
				t.Errorf("%s, %s: the error does not name %q: %s", c.name, name, c.field, msg)
			case strings.TrimSpace(value) != "" && strings.Contains(msg, strings.TrimSpace(value)):
				t.Errorf("%s, %s: the error shows the value: %s", c.name, name, msg)
			case c.name == "hmac secret" && name != "BLANK" && !strings.Contains(msg, "allow_short_secret"):
				t.Errorf("%s, %s: the error does not name allow_short_secret: %s", c.name, name, msg)
			}
		}
	}
	// Ids are not secrets and may be short, but not blank.
	if msg := loadError(t, "biohook authenteq {\n client_id {env.BIOHOOK_TEST_BLANK}\n secret {env.BIOHOOK_TEST_LONG}\n}"); !strings.Contains(msg, "authenteq client_id") {
		t.Errorf("blank client_id: %q", msg)
	}
	if msg := loadError(t, "biohook authenteq {\n client_id c1\n secret {env.BIOHOOK_TEST_LONG}\n}"); msg != "" {
		t.Errorf("short client_id refused: %s", msg)
	}
	// A Basic user name is not a secret either: a short one loads beside a
	// long password; a blank one does not.
	for _, vendor := range []string{"yoti", "socure"} {
		if msg := loadError(t, "biohook "+vendor+" {\n basic u {env.BIOHOOK_TEST_LONG}\n}"); msg != "" {
			t.Errorf("%s: short user refused: %s", vendor, msg)
		}
		if msg := loadError(t, "biohook "+vendor+" {\n basic {env.BIOHOOK_TEST_BLANK} {env.BIOHOOK_TEST_LONG}\n}"); !strings.Contains(msg, vendor+" basic #1 user") {
			t.Errorf("%s: blank user: %q", vendor, msg)
		}
	}
	// allow_short_secret lets an hmac route take a short secret, never a blank one.
	if msg := loadError(t, "biohook hmac {\n header X-Signature\n secret {env.BIOHOOK_TEST_BLANK}\n allow_short_secret\n}"); msg == "" {
		t.Error("allow_short_secret let a blank secret in")
	}
	if msg := loadError(t, "biohook faceio {\n secret {env.BIOHOOK_TEST_SHORT}\n allow_short_secret\n}"); !strings.Contains(msg, "allow_short_secret") {
		t.Errorf("allow_short_secret on faceio: %q", msg)
	}
}

// With allow_short_secret, an hmac route starts with the short secret its
// vendor issued and proves deliveries with it.
func TestHMACAllowShortSecretThroughCaddy(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_SHORT", shortSecretValues["BIOHOOK_TEST_SHORT"])
	up := newUpstream(t)
	tester := startCaddy(t, `
:9080 {
	handle /hooks/short {
		biohook hmac {
			header X-Signature
			secret {env.BIOHOOK_TEST_SHORT}
			allow_short_secret
		}
		reverse_proxy `+up.addr()+`
	}
}`)
	body := readFixture(t, "hmac", "decision_approved.json")
	res, answer := post(t, tester, "/hooks/short", body, hmacHeaders(t, "X-Signature", "", body, shortSecretValues["BIOHOOK_TEST_SHORT"]))
	mustStatus(t, res, answer, http.StatusOK)
	res, answer = post(t, tester, "/hooks/short", body, hmacHeaders(t, "X-Signature", "", body, "fifteen-bytes-y"))
	mustStatus(t, res, answer, http.StatusUnauthorized)
	if n := len(up.take()); n != 1 {
		t.Fatalf("upstream got %d", n)
	}
}
