package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CLI for the vendors that sign nothing, with the built binary: every
// built-in Yoti, Socure and Jumio sample, built by `sign --raw` with the
// route's credentials (Yoti's bearer token and Basic pair, Socure's Basic
// pair), passes `verify` against the route and prints the event; with
// another credential it fails with the reason. `send` delivers Yoti's
// default sample through a running Caddy. No output holds a credential.
func TestCommandIDVSignVerifySend(t *testing.T) {
	const (
		token  = "cli-yoti-token-5b7d"
		user   = "cli-yoti-user"
		pass   = "cli-yoti-pass-1e2a"
		socure = "cli-socure-pass-8c4f"
	)
	env := []string{"CLI_YOTI_TOKEN=" + token, "CLI_YOTI_USER=" + user, "CLI_YOTI_PASS=" + pass, "CLI_SOCURE_PASS=" + socure}
	up := newUpstream(t)
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "Caddyfile")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`{
	admin off
	persist_config off
}
http://127.0.0.1:%d {
	handle /hooks/yoti {
		biohook yoti {
			bearer {env.CLI_YOTI_TOKEN}
			basic {env.CLI_YOTI_USER} {env.CLI_YOTI_PASS}
		}
		reverse_proxy %s
	}
	handle /hooks/socure {
		biohook socure {
			basic riskos {env.CLI_SOCURE_PASS}
		}
		reverse_proxy %[2]s
	}
	handle /hooks/jumio {
		biohook jumio {
			source_ips 127.0.0.1 ::1
		}
		reverse_proxy %[2]s
	}
}
`, port, up.addr())), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	noSecret := func(out string) {
		t.Helper()
		for _, s := range []string{token, pass, socure} {
			if strings.Contains(out, s) {
				t.Fatalf("output holds a credential:\n%s", out)
			}
		}
	}
	flags := map[string][][]string{
		"yoti": {
			{"--secret", "{env.CLI_YOTI_TOKEN}"},
			{"--secret", "{env.CLI_YOTI_PASS}", "--client-id", "{env.CLI_YOTI_USER}", "--set", "auth=basic"},
		},
		"socure": {{"--secret", "{env.CLI_SOCURE_PASS}", "--client-id", "riskos", "--set", "auth=basic"}},
		"jumio":  {nil},
	}
	for vendor, variants := range flags {
		url := fmt.Sprintf("http://127.0.0.1:%d/hooks/%s", port, vendor)
		for _, event := range builtInEvents(t, vendor) {
			for _, f := range variants {
				args := append([]string{"biohook", "sign", "--raw", "--url", url, "--vendor", vendor, "--event", event}, f...)
				status, capture, stderr := runEnv(t, env, args...)
				if status != 0 {
					t.Fatalf("%s/%s: sign exit %d: %s", vendor, event, status, stderr)
				}
				status, out, stderr := runEnv(t, env, "biohook", "verify", "--config", cfg, "--file", writeTemp(t, capture))
				if status != 0 || !strings.Contains(out, "result:  PASS") || !strings.Contains(out, `"source": "urn:biohook:`+vendor+`"`) {
					t.Fatalf("%s/%s: verify exit %d:\n%s\n%s\ncapture:\n%s", vendor, event, status, out, stderr, capture)
				}
				noSecret(out + stderr)
			}
		}
		if vendor == "jumio" {
			continue
		}
		wrong := append([]string{"biohook", "sign", "--raw", "--url", url, "--vendor", vendor}, variants[0]...)
		status, capture, _ := runEnv(t, append(env, "CLI_YOTI_TOKEN=not-it", "CLI_SOCURE_PASS=not-it"), wrong...)
		if status != 0 {
			t.Fatalf("%s: sign with another credential: exit %d", vendor, status)
		}
		status, out, _ := runEnv(t, env, "biohook", "verify", "--config", cfg, "--file", writeTemp(t, capture))
		if status == 0 || !strings.Contains(out, "reason:  credential_mismatch") {
			t.Fatalf("%s: another credential: exit %d\n%s", vendor, status, out)
		}
		noSecret(out)
	}

	startInstance(t, readFile(t, cfg), fmt.Sprintf("127.0.0.1:%d", port), env...)
	to := fmt.Sprintf("http://127.0.0.1:%d/hooks/yoti", port)
	status, out, stderr := runEnv(t, env, "biohook", "send", "--to", to, "--vendor", "yoti", "--secret", "{env.CLI_YOTI_TOKEN}")
	if status != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") || len(up.take()) != 1 {
		t.Fatalf("send: exit %d\n%s\n%s", status, out, stderr)
	}
	status, out, _ = runEnv(t, append(env, "CLI_WRONG=wrong"), "biohook", "send", "--to", to, "--vendor", "yoti", "--secret", "{env.CLI_WRONG}")
	if status != 1 || !strings.Contains(out, `{"error":"credential_mismatch"}`) || len(up.take()) != 0 {
		t.Fatalf("send with a wrong token: exit %d\n%s", status, out)
	}
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "capture.http")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Each Jumio or Ondato route that relies on its source_ips says so at
// startup, once, with the reason; a route with a header does not.
func TestIDVSourceOnlyStartupWarnings(t *testing.T) {
	const addr = "127.0.0.1:17382"
	up := newUpstream(t)
	inst := startInstance(t, `{
	admin off
	persist_config off
}
http://`+addr+` {
	handle /jumio {
		biohook jumio {
			source_ips 34.202.241.227 34.226.103.119
		}
		reverse_proxy `+up.addr()+`
	}
	handle /ondato {
		biohook ondato {
			source_ips 20.31.10.47 213.226.187.101
		}
		reverse_proxy `+up.addr()+`
	}
	handle /jumio-proxied {
		biohook jumio {
			header X-Proxy-Secret {env.BIOHOOK_TEST_JUMIO_PROXY}
		}
		reverse_proxy `+up.addr()+`
	}
}
`, addr, "BIOHOOK_TEST_JUMIO_PROXY="+idvJumioProxied)
	want := []string{
		`"msg":"the vendor's settings do not prove a delivery by themselves: source_ips is the check"`,
		`"reason":"Jumio signs nothing`,
		`"source_ips":["34.202.241.227/32","34.226.103.119/32"]`,
		`"reason":"Ondato documents no signature`,
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		logs := inst.logs()
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs, w) {
				missing = w
			}
		}
		if missing == "" {
			if n := biohookWarnings(logs); n != 2 {
				t.Errorf("%d warnings, want one per route without a header:\n%s", n, logs)
			}
			if strings.Contains(logs, idvJumioProxied) {
				t.Fatal("the header's value is in the logs")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the logs:\n%s", missing, logs)
		}
	}
}
