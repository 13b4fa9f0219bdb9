package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The body-HMAC IDV vendors' CLI routes: a path, the flags that make
// sign/send act as the vendor with the route's secret, and the secret.
var idvCLI = []struct {
	vendor, path, secret string
	flags                []string
}{
	{"veriff", "/hooks/veriff", "cli-veriff-shared-secret", []string{"--set", "api_key=cli-veriff-api-key"}},
	{"onfido", "/hooks/onfido", "cli-onfido-webhook-token", nil},
	{"idenfy", "/hooks/idenfy", "cli-idenfy-signing-key", nil},
	{"metamap", "/hooks/metamap", "CliMetaMapSecret0123", nil},
	{"sumsub", "/hooks/sumsub", "cli-sumsub-secret-key", nil},
	{"sumsub", "/hooks/sumsub512", "cli-sumsub-secret-key", []string{"--algorithm", "sha512"}},
	{"didit", "/hooks/didit", "cli-didit-webhook-secret", nil},
}

func idvCLIEnv() []string {
	env := []string{}
	for _, v := range idvCLI {
		env = append(env, "CLI_IDV_"+strings.ToUpper(v.vendor)+"="+v.secret)
	}
	return env
}

func idvHMACCLIConfig(t *testing.T, port int, upstream string) string {
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
	handle /hooks/veriff {
		biohook veriff {
			secret {env.CLI_IDV_VERIFF}
			api_key cli-veriff-api-key
		}
		%[2]s
	}
	handle /hooks/onfido {
		biohook onfido {
			secret {env.CLI_IDV_ONFIDO}
		}
		%[2]s
	}
	handle /hooks/idenfy {
		biohook idenfy {
			secret {env.CLI_IDV_IDENFY}
		}
		%[2]s
	}
	handle /hooks/metamap {
		biohook metamap {
			secret {env.CLI_IDV_METAMAP}
		}
		%[2]s
	}
	handle /hooks/sumsub {
		biohook sumsub {
			secret {env.CLI_IDV_SUMSUB}
		}
		%[2]s
	}
	handle /hooks/sumsub512 {
		biohook sumsub {
			secret {env.CLI_IDV_SUMSUB}
			algorithm sha512
		}
		%[2]s
	}
	handle /hooks/didit {
		biohook didit {
			secret {env.CLI_IDV_DIDIT}
		}
		%[2]s
	}
}
`, port, next)
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runIDV runs the binary with the IDV secrets in its environment.
func runIDV(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(caddyBinary(t), args...)
	cmd.Env = append(cliEnv(), idvCLIEnv()...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("%v: %v", args, err)
	return 0, "", ""
}

func assertNoIDVHMACSecret(t *testing.T, out string) {
	t.Helper()
	for _, v := range idvCLI {
		if strings.Contains(out, v.secret) {
			t.Fatalf("output holds %s's secret:\n%s", v.vendor, out)
		}
	}
}

// Every built-in sample of every body-HMAC IDV vendor, signed by
// `sign --raw`, passes `verify` against its route, which prints the event;
// with one body byte changed it fails with signature_mismatch. No output
// holds a secret.
func TestIDVCommandSignThenVerify(t *testing.T) {
	cfg := idvHMACCLIConfig(t, 8089, "")
	for _, v := range idvCLI {
		names := builtInEvents(t, v.vendor)
		if len(names) < 6 {
			t.Fatalf("%s: %d built-in samples", v.vendor, len(names))
		}
		for _, event := range names {
			url := "http://127.0.0.1:8089" + v.path
			args := append([]string{"biohook", "sign", "--raw", "--url", url, "--event", event, "--vendor", v.vendor,
				"--secret", "{env.CLI_IDV_" + strings.ToUpper(v.vendor) + "}"}, v.flags...)
			status, capture, stderr := runIDV(t, nil, args...)
			if status != 0 {
				t.Fatalf("%s/%s: sign exit %d: %s", v.path, event, status, stderr)
			}
			status, out, stderr := runIDV(t, []byte(capture), "biohook", "verify", "--config", cfg)
			if status != 0 || !strings.Contains(out, "result:  PASS") || !strings.Contains(out, `"source": "urn:biohook:`+v.vendor+`"`) {
				t.Fatalf("%s/%s: verify exit %d:\n%s\n%s\ncapture:\n%s", v.path, event, status, out, stderr, capture)
			}
			assertNoIDVHMACSecret(t, out+stderr+capture)
			bad := []byte(capture)
			bad[len(bad)-2] ^= 0x01
			status, out, _ = runIDV(t, bad, "biohook", "verify", "--config", cfg)
			if status == 0 || !strings.Contains(out, "reason:  signature_mismatch") {
				t.Fatalf("%s/%s: tampered capture: exit %d\n%s", v.path, event, status, out)
			}
		}
	}
	// Sumsub signed with SHA-1 against the SHA-512 route: refused by name.
	status, capture, _ := runIDV(t, nil, "biohook", "sign", "--raw", "--url", "http://127.0.0.1:8089/hooks/sumsub512",
		"--vendor", "sumsub", "--secret", "{env.CLI_IDV_SUMSUB}", "--algorithm", "sha1")
	if status != 0 {
		t.Fatal("sign sumsub sha1")
	}
	if status, out, _ := runIDV(t, []byte(capture), "biohook", "verify", "--config", cfg); status == 0 ||
		!strings.Contains(out, "reason:  algorithm_mismatch") {
		t.Fatalf("sha1 on a sha512 route: exit %d\n%s", status, out)
	}
}

// `send` delivers each IDV vendor's default sample through a running Caddy
// (the built binary) to a real upstream, which receives the normalised
// event without the vendor's credential headers; with a wrong secret the
// route answers 401, send exits 1, and the upstream gets nothing.
func TestIDVCommandSendThroughBinary(t *testing.T) {
	up := newUpstream(t)
	port := freePort(t)
	cfg, err := os.ReadFile(idvHMACCLIConfig(t, port, up.addr()))
	if err != nil {
		t.Fatal(err)
	}
	startInstance(t, string(cfg), fmt.Sprintf("127.0.0.1:%d", port), idvCLIEnv()...)
	credentials := map[string][]string{"veriff": {"X-Hmac-Signature", "X-Auth-Client"}, "onfido": {"X-Sha2-Signature"},
		"idenfy": {"Idenfy-Signature"}, "metamap": {"X-Signature"}, "sumsub": {"X-Payload-Digest"}, "didit": {"X-Signature"}}
	for _, v := range idvCLI {
		to := fmt.Sprintf("http://127.0.0.1:%d%s", port, v.path)
		secret := "{env.CLI_IDV_" + strings.ToUpper(v.vendor) + "}"
		status, out, stderr := runIDV(t, nil, append([]string{"biohook", "send", "--to", to, "--vendor", v.vendor, "--secret", secret}, v.flags...)...)
		if status != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") {
			t.Fatalf("%s: exit %d\n%s\n%s", v.path, status, out, stderr)
		}
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", v.path, len(got))
		}
		var ev struct {
			Source string `json:"source"`
			Data   struct {
				Vendor string          `json:"vendor"`
				Raw    json.RawMessage `json:"raw"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0].Body, &ev); err != nil || ev.Source != "urn:biohook:"+v.vendor || ev.Data.Vendor != v.vendor {
			t.Fatalf("%s: upstream got %s (%v)", v.path, got[0].Body, err)
		}
		sample := defaultPayload(t, v.vendor)
		if !jsonEqual(t, ev.Data.Raw, sample) {
			t.Errorf("%s: raw is not the built-in sample", v.path)
		}
		for _, h := range credentials[v.vendor] {
			if got[0].Header.Get(h) != "" {
				t.Errorf("%s: %s reached the upstream", v.path, h)
			}
		}
		wrong := append([]string{"biohook", "send", "--to", to, "--vendor", v.vendor, "--secret", "wrong-secret"}, v.flags...)
		status, out, _ = runIDV(t, nil, wrong...)
		if status != 1 || !strings.Contains(out, "401 Unauthorized") || !strings.Contains(out, `{"error":"signature_mismatch"}`) {
			t.Fatalf("%s: wrong secret: exit %d\n%s", v.path, status, out)
		}
		if got := up.take(); len(got) != 0 {
			t.Fatalf("%s: upstream got a refused delivery", v.path)
		}
	}
}

// keygen makes a secret for the vendors whose dashboards take one you
// choose (MetaMap's rules: upper and lower case and a digit), and says
// where the others issue theirs.
func TestIDVCommandKeygen(t *testing.T) {
	for _, vendor := range []string{"metamap", "sumsub", "idenfy"} {
		status, out, stderr := runIDV(t, nil, "biohook", "keygen", "--vendor", vendor)
		line := strings.TrimSpace(out)
		if status != 0 || !regexp.MustCompile(`^secret [A-Za-z0-9_-]{43}$`).MatchString(line) ||
			!regexp.MustCompile(`[A-Z]`).MatchString(line[7:]) || !regexp.MustCompile(`[a-z]`).MatchString(line[7:]) ||
			!regexp.MustCompile(`[0-9]`).MatchString(line[7:]) {
			t.Errorf("%s: exit %d, %q\n%s", vendor, status, out, stderr)
		}
	}
	for vendor, issuer := range map[string]string{"veriff": "Veriff issues", "onfido": "Onfido issues", "didit": "Didit issues"} {
		status, out, stderr := runIDV(t, nil, "biohook", "keygen", "--vendor", vendor)
		if status != 1 || out != "" || !strings.Contains(stderr, issuer) {
			t.Errorf("%s: exit %d\n%s%s", vendor, status, out, stderr)
		}
	}
}
