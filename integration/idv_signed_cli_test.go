package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Secrets of the CLI routes for Stripe, Persona and Shufti, written into
// the config as they are.
const (
	cliStripe  = "whsec_cli_stripe_signing_secret_1"
	cliPersona = "wbhsec_cli_persona_webhook_secret"
	cliShufti  = "cli-shufti-secret-key-0123456789"
)

var idvCLIPaths = map[string]string{"stripe": "/hooks/stripe", "persona": "/hooks/persona", "shufti": "/hooks/shufti"}

var idvCLISecrets = map[string]string{"stripe": cliStripe, "persona": cliPersona, "shufti": cliShufti}

// idvCLIConfig writes a Caddyfile with a Stripe, a Persona and a Shufti
// route on port, proxying to upstream (or answering 200 when it is "").
func idvCLIConfig(t *testing.T, port int, upstream string) string {
	t.Helper()
	next := "respond 200"
	if upstream != "" {
		next = "reverse_proxy " + upstream
	}
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
}
http://127.0.0.1:%d {
	handle /hooks/stripe {
		biohook stripe {
			secret %[2]s
		}
		%[5]s
	}
	handle /hooks/persona {
		biohook persona {
			secret %[3]s
		}
		%[5]s
	}
	handle /hooks/shufti {
		biohook shufti {
			secret %[4]s
		}
		%[5]s
	}
}
`, port, cliStripe, cliPersona, cliShufti, next)
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func assertNoIDVSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range idvCLISecrets {
		if strings.Contains(out, s) {
			t.Fatalf("output holds a secret:\n%s", out)
		}
	}
}

// Every built-in sample of the three vendors, signed by `sign --raw`,
// passes `verify` against the routes' config, which prints the event; one
// changed body byte fails with signature_mismatch; a Stripe or Persona
// capture ten minutes old is stale now and passes judged as of its time.
// No output holds a secret.
func TestIDVSignedCommandSignThenVerify(t *testing.T) {
	cfg := idvCLIConfig(t, 8089, "")
	for vendor, path := range idvCLIPaths {
		names := builtInEvents(t, vendor)
		if len(names) < 5 {
			t.Fatalf("%s: %d built-in samples", vendor, len(names))
		}
		for _, event := range names {
			url := "http://127.0.0.1:8089" + path
			status, capture, stderr := run(t, nil, "biohook", "sign", "--raw", "--url", url, "--event", event, "--vendor", vendor, "--secret", idvCLISecrets[vendor])
			if status != 0 {
				t.Fatalf("%s/%s: sign exit %d: %s", vendor, event, status, stderr)
			}
			status, out, stderr := run(t, []byte(capture), "biohook", "verify", "--config", cfg)
			if status != 0 || !strings.Contains(out, "result:  PASS") || !strings.Contains(out, `"source": "urn:biohook:`+vendor+`"`) {
				t.Fatalf("%s/%s: verify exit %d:\n%s\n%s\ncapture:\n%s", vendor, event, status, out, stderr, capture)
			}
			assertNoIDVSecret(t, out+stderr)
			bad := []byte(capture)
			bad[len(bad)-2] ^= 0x01
			status, out, _ = run(t, bad, "biohook", "verify", "--config", cfg)
			if status == 0 || !strings.Contains(out, "reason:  signature_mismatch") {
				t.Fatalf("%s/%s: tampered capture: exit %d\n%s", vendor, event, status, out)
			}
		}
	}
	for _, vendor := range []string{"stripe", "persona"} {
		then := time.Now().Add(-10 * time.Minute)
		url := "http://127.0.0.1:8089" + idvCLIPaths[vendor]
		status, capture, stderr := run(t, nil, "biohook", "sign", "--raw", "--url", url, "--at", then.Format(time.RFC3339), "--vendor", vendor, "--secret", idvCLISecrets[vendor])
		if status != 0 {
			t.Fatalf("%s: sign: %s", vendor, stderr)
		}
		status, out, _ := run(t, []byte(capture), "biohook", "verify", "--config", cfg)
		if status == 0 || !strings.Contains(out, "reason:  stale_signature") {
			t.Fatalf("%s: a capture 10m old: exit %d\n%s", vendor, status, out)
		}
		status, out, _ = run(t, []byte(capture), "biohook", "verify", "--config", cfg, "--at", fmt.Sprint(then.Unix()))
		if status != 0 || !strings.Contains(out, "result:  PASS") {
			t.Fatalf("%s: judged as of its time: exit %d\n%s", vendor, status, out)
		}
	}
}

// `send` delivers each vendor's default sample through a running Caddy
// (the built binary) to a real upstream, which receives the event; with
// a wrong secret the route refuses and the upstream gets nothing.
func TestIDVSignedCommandSendThroughBinary(t *testing.T) {
	up := newUpstream(t)
	port := freePort(t)
	startBinary(t, idvCLIConfig(t, port, up.addr()), port)
	for vendor, path := range idvCLIPaths {
		to := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
		status, out, stderr := run(t, nil, "biohook", "send", "--to", to, "--vendor", vendor, "--secret", idvCLISecrets[vendor])
		if status != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") {
			t.Fatalf("%s: exit %d\n%s\n%s", vendor, status, out, stderr)
		}
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", vendor, len(got))
		}
		var ev struct {
			Source string `json:"source"`
			Data   struct {
				Raw json.RawMessage `json:"raw"`
			} `json:"data"`
		}
		sample := defaultPayload(t, vendor)
		if err := json.Unmarshal(got[0].Body, &ev); err != nil || ev.Source != "urn:biohook:"+vendor || !jsonEqual(t, ev.Data.Raw, sample) {
			t.Fatalf("%s: upstream got %s (%v)", vendor, got[0].Body, err)
		}
		status, out, _ = run(t, nil, "biohook", "send", "--to", to, "--vendor", vendor, "--secret", "a-wrong-secret-of-some-length")
		if status != 1 || !strings.Contains(out, "401 Unauthorized") || !strings.Contains(out, `{"error":"signature_mismatch"}`) {
			t.Fatalf("%s: wrong secret: exit %d\n%s", vendor, status, out)
		}
		if got := up.take(); len(got) != 0 {
			t.Fatalf("%s: upstream got a refused delivery", vendor)
		}
		assertNoIDVSecret(t, out)
	}
}
