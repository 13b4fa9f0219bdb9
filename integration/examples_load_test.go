package integration

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// exampleEnv holds a value of the right form for every {env.NAME} the
// examples and the docs' snippets name, as their users would set it.
func exampleEnv() map[string]string {
	pub, _, _ := ed25519.GenerateKey(nil)
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("example-standard-webhooks-secret"))
	return map[string]string{
		"FACEIO_WEBHOOK_TOKEN": "example-faceio-token", "ENTRUST_WEBHOOK_TOKEN": "example-entrust-webhook",
		"ENTRUST_STAGING_TOKEN": "example-entrust-staging", "ENTRUST_TOKEN": "example-entrust-token",
		"ARGOS_API_KEY": "example-argos-api-key", "ARGOS_PATH_TOKEN": "example-argos-path", "ARGOS_HDR": "example-argos-header",
		"AUTHENTEQ_CLIENT_ID": "example-client", "AUTHENTEQ_CLIENT_SECRET": "example-authenteq",
		"INCODE_CLIENT_ID": "example-client", "INCODE_CLIENT_SECRET": "example-incode-secret",
		"INCODE_HEADER": "example-incode-header", "INCODE_HEADER_VALUE": "example-incode-header",
		"VERIFF_SECRET": "example-veriff-secret", "WEBHOOK_SECRET": whsec, "ACME_WHSEC": whsec,
		"VERIFF_API_KEY": "example-veriff-api-key", "ONFIDO_WEBHOOK_TOKEN": "example-onfido-token", "IDENFY_SIGNING_KEY": "example-idenfy-signing-key",
		"METAMAP_WEBHOOK_SECRET": "ExampleMetaMap0123", "SUMSUB_SECRET_KEY": "example-sumsub-secret", "DIDIT_WEBHOOK_SECRET": "example-didit-secret",
		"ACME_WHPK":         "whpk_" + base64.StdEncoding.EncodeToString(pub),
		"YOTI_NOTIFY_TOKEN": "example-yoti-notify-token", "YOTI_NOTIFY_USER": "example-yoti-user",
		"YOTI_NOTIFY_PASSWORD": "example-yoti-password", "SOCURE_WEBHOOK_TOKEN": "example-socure-webhook-token",
		"SOCURE_WEBHOOK_USER": "example-socure-user", "SOCURE_WEBHOOK_PASSWORD": "example-socure-password",
		"STRIPE_WEBHOOK_SECRET": "whsec_example-stripe-secret", "SHUFTI_SECRET_KEY": "example-shufti-secret-key",
		"PERSONA_WEBHOOK_SECRET": "wbhsec_example-persona-secret", "PERSONA_WEBHOOK_SECRET_NEXT": "wbhsec_example-persona-next",
		"REDIS_URL": "redis://127.0.0.1:6379/0", "BIOHOOK_RECORD_KEY": "example-record-key-0123456789", "REDIS_PASSWORD": "example-redis-password",
	}
}

// validateExample adapts a Caddyfile and provisions the config as `caddy run`
// would, without starting it (caddy validate), with every {env.NAME} it names
// set from exampleEnv.
func validateExample(t *testing.T, name string, body []byte) error {
	t.Helper()
	env := exampleEnv()
	for _, m := range regexp.MustCompile(`\{env\.([A-Za-z0-9_]+)\}`).FindAllSubmatch(body, -1) {
		v, ok := env[string(m[1])]
		if !ok {
			t.Fatalf("%s names {env.%s}: give it a value in exampleEnv", name, m[1])
		}
		t.Setenv(string(m[1]), v)
	}
	adapted, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(body, map[string]any{"filename": name})
	if err != nil {
		return err
	}
	cfg := new(caddy.Config)
	if err := json.Unmarshal(adapted, cfg); err != nil {
		return err
	}
	return caddy.Validate(cfg)
}

// Every example loads, as `caddy validate` checks it: secrets resolved and
// decoded, keys of the right form, every option known. Adapting alone
// (TestExamplesAdapt) passes a config that refuses to start.
func TestExamplesLoad(t *testing.T) {
	secrets := t.TempDir()
	for _, name := range []string{"faceio_token", "entrust_token", "argos_api_key", "argos_path_token",
		"authenteq_client_id", "authenteq_secret", "incode_client_id", "incode_secret"} {
		if err := os.WriteFile(filepath.Join(secrets, name), []byte("example-"+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("BIOHOOK_SECRETS", secrets) // Caddyfile.production, when adapted
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*Caddyfile*"))
	for _, vendor := range []string{"argos", "authenteq", "incode", "hmac", "standard_webhooks"} {
		if !containsString(paths, filepath.Join("..", "examples", vendor+".Caddyfile")) {
			t.Errorf("no example for %s", vendor)
		}
	}
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateExample(t, p, body); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// The docs' route snippets load too: each ```caddyfile block in README.md
// and docs/*.md that is a route's directives (not a fragment with "..."),
// inside a site. A snippet that is only the biohook block gets the
// reverse_proxy every route needs after it, as the docs say around it.
func TestDocSnippetsLoad(t *testing.T) {
	loaded := 0
	for _, b := range docCaddyfileBlocks(t) {
		first := strings.Fields(b.text)[0]
		if first != "handle" && first != "biohook" && first != "@argos" || regexp.MustCompile(`(?m)(^|\s)\.\.\.(\s|$)`).MatchString(b.text) {
			continue
		}
		route := b.text
		if first == "biohook" {
			route += "\nreverse_proxy 127.0.0.1:9000"
		}
		site := "http://localhost:8080 {\n" + route + "\n}\n"
		if err := validateExample(t, b.where, []byte(site)); err != nil {
			t.Errorf("%s: %v\n%s", b.where, err, b.text)
		}
		loaded++
	}
	if loaded < 10 {
		t.Errorf("only %d snippets loaded", loaded)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
